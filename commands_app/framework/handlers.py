"""`AggregateHandler`: load the target aggregate, run one domain method, save its events."""

from collections.abc import Callable, Iterable
from contextlib import nullcontext
from typing import Any

from django.db import transaction

from commands_app.framework.aggregate import Aggregate
from commands_app.framework.bus import CommandContext, CommandResult
from commands_app.framework.commands import Command
from commands_app.framework.errors import AggregateAlreadyExists, AggregateNotFound
from commands_app.framework.repository import AggregateRepository
from eventstore import companions
from eventstore.store import ConcurrencyError

# Returns nothing, or the other aggregates it changed (saved with the target, in one transaction).
Execute = Callable[[Any, Any, AggregateRepository], Iterable[Aggregate] | None]


class AggregateHandler:
    """The handler most commands need (go-mink's `AggregateHandler`).

    `execute(aggregate, command, repository)` calls a domain method; it may load other
    aggregates through the repository to check a rule. It saves the target, plus any other
    aggregates `execute` returns (a rule that spans two streams, like a product's stock and one
    order's hold of it): all in one transaction, the target first, each at the version it was
    loaded at, so a concurrent writer to any of them makes the whole command conflict.
    `creates=True` marks a command that starts a new aggregate.
    """

    def __init__(
        self,
        aggregate_type: type[Aggregate],
        execute: Execute,
        repository: AggregateRepository,
        *,
        creates: bool = False,
    ) -> None:
        self.aggregate_type = aggregate_type
        self.execute = execute
        self.repository = repository
        self.creates = creates

    def __call__(self, command: Command, context: CommandContext) -> CommandResult:
        if self.creates:
            return self.create(command, context)
        aggregate_id = command.aggregate_id()
        aggregate = self.repository.load(self.aggregate_type, aggregate_id)
        if not aggregate.exists:
            raise AggregateNotFound(f"No {self.aggregate_type.__name__.lower()} with id {aggregate_id}.")
        if command.expected_version is not None and command.expected_version != aggregate.version:
            raise ConcurrencyError(aggregate.id, command.expected_version, aggregate.version)
        return self.execute_and_save(aggregate, command, context)

    def create(self, command: Command, context: CommandContext) -> CommandResult:
        # No load: a new aggregate is saved expecting an empty stream, and the store's
        # version check (part of its INSERT) tells us if the id is taken. One query saved.
        aggregate = self.aggregate_type(command.aggregate_id())
        if command.expected_version not in (None, 0):
            raise ConcurrencyError(aggregate.id, command.expected_version, None)
        try:
            return self.execute_and_save(aggregate, command, context)
        except ConcurrencyError as error:
            name = self.aggregate_type.__name__.lower()
            article = "An" if name[:1] in "aeiou" else "A"
            raise AggregateAlreadyExists(f"{article} {name} with id {aggregate.id} already exists.") from error

    def execute_and_save(self, aggregate: Aggregate, command: Command, context: CommandContext) -> CommandResult:
        also_changed = self.execute(aggregate, command, self.repository) or ()
        changed = [a for a in (aggregate, *also_changed) if a.pending_events]
        raised = [type(event).__name__ for a in changed for event in a.pending_events]
        if not raised:
            # The aggregate is already as the command asks (a repeated saga step): nothing to
            # write, so no append takes the rows `execute` queued to go with one; they run here.
            companions.run_left(self.repository.store.using)
            # The log's head as position keeps read-your-writes safe for the caller.
            head = self.repository.store.head()
            return CommandResult(aggregate_id=aggregate.id, version=aggregate.version, position=head, events=[])
        metadata = context.event_metadata(command)
        # Several streams commit together or not at all (TransactionMiddleware usually has a
        # transaction open already; no savepoint, which would cost two round trips).
        several = len(changed) > 1 and not transaction.get_connection(self.repository.store.using).in_atomic_block
        with transaction.atomic(using=self.repository.store.using) if several else nullcontext():
            for changed_aggregate in changed:
                self.repository.save(changed_aggregate, metadata)
            # A no-op after an append (it takes the whole queue); kept so no queued row goes unsent.
            companions.run_left(self.repository.store.using)
        # No position yet: the log assigns it as the transaction commits, and `TransactionMiddleware`
        # reads it then (the position of the last event appended, whichever stream took it).
        return CommandResult(aggregate_id=aggregate.id, version=aggregate.version, position=None, events=raised)

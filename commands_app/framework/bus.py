"""The `CommandBus`: routes each command to its handler through a chain of middleware."""

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol, TypeVar, cast

from commands_app.framework.commands import Command
from eventstore.store import RecordedEvent


@dataclass(frozen=True)
class IdempotencyKey:
    """A client's `Idempotency-Key`, who it belongs to, and a fingerprint of the request it came with.

    `scope` keeps one client's keys apart from another's (the API uses the user's id), so a
    key can never replay somebody else's result. `fingerprint` tells "the same request sent
    again" from "a new request that reused a key".
    """

    scope: str
    key: str
    fingerprint: str


@dataclass(frozen=True)
class CommandContext:
    """Who sent a command and why; `event_metadata` stamps it on every event the command writes.

    `causation_id` is left empty for a command a client sent (the command's own id is then
    the cause); a saga sets it to the id of the event that made it send the command, so the
    chain from a client's request to every event it caused can be followed. Build a saga's
    context with `caused_by`.
    """

    user: str | None = None
    correlation_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    causation_id: str | None = None
    idempotency: IdempotencyKey | None = None

    @classmethod
    def caused_by(cls, event: RecordedEvent, user: str | None = None) -> "CommandContext":
        """The context of a command sent because of `event`: same correlation, the event as cause."""
        correlation_id = event.metadata.get("correlation_id") or str(event.event_id)
        return cls(user=user, correlation_id=correlation_id, causation_id=str(event.event_id))

    def event_metadata(self, command: Command) -> dict[str, Any]:
        """The metadata of every event `command` writes (the contract readers and the admin rely on).

        `correlation_id`: the request (or the first command of a saga's chain) it belongs to;
        `causation_id`: what directly caused it, the explicit one when given, else the command;
        `command` / `command_id`: the command's type and id; `user`: who sent it.
        """
        return {
            "correlation_id": self.correlation_id,
            "causation_id": self.causation_id or str(command.command_id),
            "command": command.command_type(),
            "command_id": str(command.command_id),
            "user": self.user,
        }


@dataclass(frozen=True)
class CommandResult:
    """What a successful command did (the command API sends it as its success body)."""

    aggregate_id: str
    version: int
    # The global position of the command's last event, of whichever stream (everything at
    # or before it is committed), or the log's head when it wrote nothing. None only while the transaction
    # that appended is still open: positions are assigned at commit.
    position: int | None
    events: list[str]
    # True when an idempotency key replayed a stored result: nothing was executed or written.
    replayed: bool = field(default=False, compare=False)


Handler = Callable[[Command, CommandContext], CommandResult]
C = TypeVar("C", bound=Command)


class Middleware(Protocol):
    """A step around every dispatch; call `next_handler` to go on, or raise to refuse."""

    def __call__(self, command: Command, context: CommandContext, next_handler: Handler) -> CommandResult: ...


class CommandBus:
    """A handler registry plus a middleware chain, outermost middleware first."""

    def __init__(self, middleware: Sequence[Middleware] = ()) -> None:
        self._handlers: dict[type[Command], Handler] = {}
        chain: Handler = self._handle
        for step in reversed(middleware):
            chain = partial(step, next_handler=chain)
        self._chain = chain

    def register(self, command_type: type[C], handler: Callable[[C, CommandContext], CommandResult]) -> None:
        if command_type in self._handlers:
            raise ValueError(f"{command_type.__name__} already has a handler")
        # Stored as taking any Command: `_handle` only calls it with a `command_type` instance.
        self._handlers[command_type] = cast(Handler, handler)

    def dispatch(self, command: Command, context: CommandContext | None = None) -> CommandResult:
        return self._chain(command, context or CommandContext())

    def _handle(self, command: Command, context: CommandContext) -> CommandResult:
        try:
            handler = self._handlers[type(command)]
        except KeyError:
            raise LookupError(f"no handler is registered for {type(command).__name__}") from None
        return handler(command, context)

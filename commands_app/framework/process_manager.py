"""`ProcessManager`: a subscriber that reacts to events by sending commands (a saga).

It follows the log through the same subscription machinery as the projections: its own
checkpoint, batches, wake-ups and sweeps, retry and poison-event handling. What it adds:

- `send(command, cause)` dispatches on the command bus with the context of a command caused
  by `cause` (same correlation id, the event as causation id, the process manager as user),
  so the chain from a client's command to every event it led to can be followed;
- a step that meets a write conflict is run again from the start on fresh state (the bus's
  own retry stands aside inside the checkpoint's transaction, where only the caller can
  restart its work), a bounded number of times.

Its steps must be idempotent by construction, deciding from the aggregates' current state:
the checkpoint is not guaranteed to commit with the step's commands (it may live in another
database), so after a crash a step runs again and must then send nothing it already sent.
"""

import logging
import time
from typing import ClassVar

from django.conf import settings

from commands_app.framework.backoff import conflict_backoff
from commands_app.framework.bus import CommandBus, CommandContext, CommandResult
from commands_app.framework.commands import Command
from commands_app.framework.repository import AggregateRepository
from eventstore.store import ConcurrencyError, RecordedEvent
from eventstore.subscriptions import Subscriber

logger = logging.getLogger(__name__)


class ProcessManager(Subscriber):
    """Base for sagas. Subclasses set `name` and `user`, implement `command_bus()` and
    `aggregate_repository()`, and mark their steps with `@handles(...)`.

    `batch_size` is small on purpose: a batch's commands share the checkpoint's transaction
    when both live in one database, and a batch that fails is rolled back and replayed one
    event at a time, so a short batch keeps that replay short. (Its appends hold no lock
    meanwhile: the log numbers events as the transaction commits.)
    """

    user: ClassVar[str]
    batch_size: ClassVar[int | None] = 20

    def command_bus(self) -> CommandBus:
        raise NotImplementedError

    def aggregate_repository(self) -> AggregateRepository:
        raise NotImplementedError

    def send(self, command: Command, cause: RecordedEvent) -> CommandResult:
        """Dispatch `command` as caused by the event `cause`."""
        return self.command_bus().dispatch(command, CommandContext.caused_by(cause, user=self.user))

    def handle(self, event: RecordedEvent) -> None:
        attempt = 1
        while True:
            try:
                return super().handle(event)
            except ConcurrencyError as conflict:
                if attempt >= settings.COMMAND_RETRY_MAX_ATTEMPTS:
                    raise
                logger.info("%s: %s on attempt %d of event #%s; running the step again",
                            self.name, conflict, attempt, event.position)  # fmt: skip
                time.sleep(conflict_backoff(attempt))
                attempt += 1

"""Command bus middleware, each a small class; their order is `settings.COMMAND_BUS_MIDDLEWARE`.

The default order, outermost first, and why:

- `RecoveryMiddleware`: outermost, so whatever fails below becomes a 500 with an error id;
- `LoggingMiddleware`: one line per command with its final outcome, retries included;
  (`commands_app.framework.metrics.MetricsMiddleware` counts and times it right inside);
- `ValidationMiddleware`: the command's own rules, before anything is loaded or locked;
- `RetryOnConflictMiddleware`: outside the transaction, so every attempt is a fresh one;
- `TransactionMiddleware`: load, decide and append in one database transaction;
- `commands_app.idempotency.IdempotencyMiddleware`: inside the transaction, so a stored
  result commits with its events (it lives beside its store, not in this generic module).

A middleware is any callable `(command, context, next_handler) -> CommandResult`; it calls
`next_handler(command, context)` to go on, or raises to refuse.
"""

import dataclasses
import logging
import time
import uuid

from django.conf import settings
from django.db import transaction

from commands_app.framework.backoff import conflict_backoff
from commands_app.framework.bus import CommandContext, CommandResult, Handler
from commands_app.framework.commands import Command
from commands_app.framework.errors import CommandError, CommandFailed
from eventstore import companions
from eventstore.store import ConcurrencyError, EventStore

logger = logging.getLogger("commands")


class RecoveryMiddleware:
    """Turns an unexpected exception into `CommandFailed` with an error id, logged with its traceback.

    Put it outermost: the transaction inside has already rolled back, so nothing was written.
    """

    def __call__(self, command: Command, context: CommandContext, next_handler: Handler) -> CommandResult:
        try:
            return next_handler(command, context)
        except (CommandError, ConcurrencyError):
            raise
        except Exception as error:
            error_id = uuid.uuid4().hex[:12]
            logger.exception(
                "command %s failed unexpectedly (error id %s, correlation id %s)",
                command.command_type(),
                error_id,
                context.correlation_id,
            )
            raise CommandFailed(error_id) from error


class LoggingMiddleware:
    """One log line per command: type, aggregate, outcome, duration, correlation id."""

    def __call__(self, command: Command, context: CommandContext, next_handler: Handler) -> CommandResult:
        started = time.perf_counter()
        outcome = "error"
        try:
            result = next_handler(command, context)
            outcome = "replayed" if result.replayed else "ok"
            return result
        except (CommandError, ConcurrencyError) as error:
            outcome = type(error).__name__
            raise
        finally:
            logger.info(
                "command=%s aggregate=%s outcome=%s ms=%.1f correlation_id=%s user=%s",
                command.command_type(),
                command.aggregate_id(),
                outcome,
                (time.perf_counter() - started) * 1000,
                context.correlation_id,
                context.user,
            )


class ValidationMiddleware:
    """Runs the command's own rules before anything is loaded."""

    def __call__(self, command: Command, context: CommandContext, next_handler: Handler) -> CommandResult:
        command.validate()
        return next_handler(command, context)


class TransactionMiddleware:
    """Load, decide and append in one database transaction, then report the events' position.

    The log numbers events as their transaction commits (`eventstore.store`), so the
    position of what the command appended is read once the block has committed. Inside a
    transaction the caller opened, the events are not numbered yet and it stays None,
    unless the caller's database numbers at once.
    """

    def __init__(self, store: EventStore | None = None) -> None:
        self.store = store or EventStore()

    def __call__(self, command: Command, context: CommandContext, next_handler: Handler) -> CommandResult:
        outermost = not transaction.get_connection(self.store.using).in_atomic_block
        if outermost:
            self.store.forget_last_append()
            # Whatever an earlier, failed command queued to go out with its append is not ours.
            companions.discard(self.store.using)
        with transaction.atomic(using=self.store.using):
            try:
                result = next_handler(command, context)
            except BaseException:
                if outermost:  # queued with an append that never came: it must not ride a later one
                    companions.discard(self.store.using)
                raise
            # The command's last event: the last append of this transaction (a command that
            # saves several streams saves its target's bookkeeping after it), else the result's.
            last = (self.store.last_append() if outermost else None) or (result.aggregate_id, result.version)
            if outermost and result.position is None and result.events:
                # The commit and the position in one round trip, as the block's last act.
                result = dataclasses.replace(result, position=self.store.commit_and_locate(*last))
        if result.position is None and result.events:
            result = dataclasses.replace(result, position=self.store.position_of(*last))
        return result


class ConflictPersisted(ConcurrencyError):
    """A command retried on conflict lost every attempt to concurrent writers; nothing was written.

    Not the client's conflict (it sent no `expected_version`), so the HTTP layer answers it
    apart from a plain `ConcurrencyError`: a 503 to send again shortly.
    """

    def __init__(self, conflict: ConcurrencyError, attempts: int) -> None:
        super().__init__(conflict.stream_id, conflict.expected_version, conflict.actual_version)
        self.attempts = attempts


class RetryOnConflictMiddleware:
    """Runs a command marked `retry_on_conflict` again when a concurrent writer got there first.

    Each attempt reloads the aggregate and decides again, in a fresh transaction: put it
    outside `TransactionMiddleware`. It never retries a command that carries an
    `expected_version` (the sender asked to fail on any change), nor one dispatched inside
    a transaction the caller opened (only the caller can restart all of its work). Attempts
    and backoff come from `COMMAND_RETRY_MAX_ATTEMPTS`, `COMMAND_RETRY_BASE_DELAY_SECONDS` and
    `COMMAND_RETRY_MAX_DELAY_SECONDS`, with full jitter (`backoff.conflict_backoff`).
    """

    def __call__(self, command: Command, context: CommandContext, next_handler: Handler) -> CommandResult:
        attempt = 1
        while True:
            try:
                return next_handler(command, context)
            except ConcurrencyError as conflict:
                if not self.may_retry(command, attempt):
                    # Retryable (as if on a first attempt), only out of attempts: not the sender's conflict.
                    if attempt >= settings.COMMAND_RETRY_MAX_ATTEMPTS and self.may_retry(command, 0):
                        raise ConflictPersisted(conflict, attempt) from conflict
                    raise
                delay = self.backoff(attempt)
                logger.info(
                    "command=%s aggregate=%s conflict on attempt %d (%s); retrying in %.1f ms correlation_id=%s",
                    command.command_type(),
                    command.aggregate_id(),
                    attempt,
                    conflict,
                    delay * 1000,
                    context.correlation_id,
                )
                time.sleep(delay)
                attempt += 1

    def may_retry(self, command: Command, attempt: int) -> bool:
        """Override to change which conflicts are retried (called only after a conflict)."""
        return (
            command.retry_on_conflict
            and command.expected_version is None
            and attempt < settings.COMMAND_RETRY_MAX_ATTEMPTS
            and not transaction.get_connection().in_atomic_block
        )

    def backoff(self, attempt: int) -> float:
        """Seconds to wait after failed `attempt` (1-based); override to change the policy."""
        return conflict_backoff(attempt)

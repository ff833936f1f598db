"""Command bus middleware, each a small class; their order is `settings.COMMAND_BUS_MIDDLEWARE`."""

import logging
import time
import uuid

from django.db import transaction

from commands_app.framework.bus import CommandContext, CommandResult, Handler
from commands_app.framework.commands import Command
from commands_app.framework.errors import CommandError, CommandFailed
from eventstore.store import ConcurrencyError

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
            outcome = "ok"
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
    """Load, decide and append in one database transaction."""

    def __call__(self, command: Command, context: CommandContext, next_handler: Handler) -> CommandResult:
        with transaction.atomic():
            return next_handler(command, context)

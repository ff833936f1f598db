"""Prometheus metrics of the write side, counted by a command-bus middleware.

The metric objects live in prometheus-client's default registry. Under gunicorn with
`PROMETHEUS_MULTIPROC_DIR` set (before the process starts), prometheus-client writes each
process's values to files there and `/metrics` adds them up (`config.metrics`).
"""

from functools import partial

from django.db import transaction
from prometheus_client import Counter, Histogram

from commands_app.framework.bus import CommandContext, CommandResult, Handler
from commands_app.framework.commands import Command
from commands_app.framework.errors import (
    AggregateAlreadyExists,
    AggregateNotFound,
    CommandInvalid,
    DomainError,
)
from eventstore.store import ConcurrencyError

COMMANDS = Counter(
    "cqrs_commands",
    "Commands dispatched on the bus, by command type and outcome.",
    ["command", "outcome"],
)
COMMAND_LATENCY = Histogram(
    "cqrs_command_duration_seconds",
    "Time from dispatch to answer on the command bus (validation, load, decide, append, commit).",
    ["command"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
EVENTS_APPENDED = Counter(
    "cqrs_events_appended",
    "Events appended to the log by committed commands, by event type.",
    ["event_type"],
)

# A few fixed outcomes keep the label set small, whatever the domain's error subclasses are.
OUTCOMES: list[tuple[type[Exception], str]] = [
    (CommandInvalid, "invalid"),
    (AggregateNotFound, "not_found"),
    (AggregateAlreadyExists, "conflict"),
    (ConcurrencyError, "conflict"),
    (DomainError, "rejected"),
]


def outcome_of(error: Exception) -> str:
    """`invalid`, `not_found`, `conflict`, `rejected`, or `error` for anything unexpected.

    Successes are `ok`, or `replayed` when an idempotency key returned a stored result.
    """
    return next((name for error_type, name in OUTCOMES if isinstance(error, error_type)), "error")


def count_events(event_types: list[str]) -> None:
    for event_type in event_types:
        EVENTS_APPENDED.labels(event_type=event_type).inc()


class MetricsMiddleware:
    """Counts each command by outcome, times it, and counts the events it appended.

    Put it right inside `LoggingMiddleware`, outside retries and the transaction: one
    dispatch is one command, however many attempts it took.
    """

    def __call__(self, command: Command, context: CommandContext, next_handler: Handler) -> CommandResult:
        command_type = command.command_type()
        with COMMAND_LATENCY.labels(command=command_type).time():
            try:
                result = next_handler(command, context)
            except Exception as error:
                COMMANDS.labels(command=command_type, outcome=outcome_of(error)).inc()
                raise
        if result.replayed:
            # An idempotency key answered with a stored result: nothing ran, nothing was appended.
            COMMANDS.labels(command=command_type, outcome="replayed").inc()
            return result
        COMMANDS.labels(command=command_type, outcome="ok").inc()
        # Counted when the events are durable: at once, or when an outer transaction commits.
        transaction.on_commit(partial(count_events, list(result.events)))
        return result

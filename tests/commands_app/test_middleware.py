"""Each command bus middleware on its own, on a small test bus with test-only commands.

The handlers here write real events to the real store, so "wrote nothing" is checked
against the database, not against a fake.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import ClassVar

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from commands_app.domain import commands as c
from commands_app.framework.bus import CommandBus, CommandContext, CommandResult, IdempotencyKey
from commands_app.framework.commands import Command, FieldErrors
from commands_app.framework.errors import CommandFailed, CommandInvalid, DomainError
from commands_app.framework.middleware import (
    LoggingMiddleware,
    RecoveryMiddleware,
    RetryOnConflictMiddleware,
    TransactionMiddleware,
    ValidationMiddleware,
)
from commands_app.idempotency import (
    IdempotencyKeyInUse,
    IdempotencyKeyReused,
    IdempotencyMiddleware,
    IdempotencyStore,
    purge_expired_idempotency_keys,
    request_fingerprint,
)
from commands_app.models import IdempotencyRecord
from eventstore.models import Event
from eventstore.store import ConcurrencyError, EventStore, NewEvent


@dataclass(frozen=True, kw_only=True)
class Ping(Command):
    """A test-only command: append one `Pinged` event to `stream`."""

    stream: str

    def aggregate_id(self) -> str:
        return self.stream

    def check(self, errors: FieldErrors) -> None:
        errors.check(self.stream != "", "stream", "May not be blank.")


@dataclass(frozen=True, kw_only=True)
class RetryablePing(Ping):
    retry_on_conflict: ClassVar[bool] = True


class PingHandler:
    """Appends a `Pinged` event; can be told to fail after the append, or to lose a race first."""

    def __init__(self, fail_after_append: Exception | None = None, conflicts: int = 0) -> None:
        self.fail_after_append = fail_after_append
        self.conflicts = conflicts
        self.calls = 0
        self.transaction_ids: list[int] = []

    def __call__(self, command: Ping, context: CommandContext) -> CommandResult:
        self.calls += 1
        if connection.vendor == "postgresql" and connection.in_atomic_block:
            with connection.cursor() as cursor:
                cursor.execute("SELECT txid_current()")
                self.transaction_ids.append(cursor.fetchone()[0])
        if self.calls <= self.conflicts:
            raise ConcurrencyError(command.stream, 0, self.calls)
        appended = EventStore().append(
            command.stream, "Test", [NewEvent("Pinged", {}, context.event_metadata(command))], expected_version=None
        )
        if self.fail_after_append is not None:
            raise self.fail_after_append
        return CommandResult(command.stream, appended.version, appended.position, ["Pinged"])


class LosesRaces:
    """A handler that touches no database: it loses `conflicts` races, then succeeds."""

    def __init__(self, conflicts: int = 0) -> None:
        self.conflicts = conflicts
        self.calls = 0

    def __call__(self, command: Ping, context: CommandContext) -> CommandResult:
        self.calls += 1
        if self.calls <= self.conflicts:
            raise ConcurrencyError(command.stream, 0, self.calls)
        return CommandResult(command.stream, 1, 1, ["Pinged"])


def bus_with(*middleware, handler: PingHandler | None = None) -> tuple[CommandBus, PingHandler]:
    handler = handler or PingHandler()
    bus = CommandBus(middleware)
    bus.register(Ping, handler)
    bus.register(RetryablePing, handler)
    return bus, handler


@pytest.fixture
def fast_retries(settings):
    settings.COMMAND_RETRY_MAX_ATTEMPTS = 4
    settings.COMMAND_RETRY_BASE_DELAY_SECONDS = 0.001
    settings.COMMAND_RETRY_MAX_DELAY_SECONDS = 0.002
    return settings


# Correlation and causation: the metadata contract every event carries.


@pytest.mark.django_db
def test_every_event_carries_correlation_causation_command_and_user():
    bus, _ = bus_with(TransactionMiddleware())
    command = Ping(stream="s1")
    bus.dispatch(command, CommandContext(user="ada", correlation_id="req-1"))

    assert Event.objects.get().metadata == {
        "correlation_id": "req-1",
        "causation_id": str(command.command_id),  # a client's command is its own events' cause
        "command": "ping",
        "command_id": str(command.command_id),
        "user": "ada",
    }


@pytest.mark.django_db
def test_an_explicit_causation_id_wins_over_the_command_id():
    bus, _ = bus_with(TransactionMiddleware())
    bus.dispatch(Ping(stream="s1"), CommandContext(correlation_id="req-1", causation_id="event-7"))
    assert Event.objects.get().metadata["causation_id"] == "event-7"


@pytest.mark.django_db
def test_a_command_caused_by_an_event_keeps_its_correlation_and_names_it_as_cause():
    first = EventStore().append("s0", "Test", [NewEvent("Pinged", {}, {"correlation_id": "req-1"})], None)
    recorded = first.events[0]

    context = CommandContext.caused_by(recorded, user="saga:test")
    bus, _ = bus_with(TransactionMiddleware())
    bus.dispatch(Ping(stream="s1"), context)

    metadata = Event.objects.get(stream_id="s1").metadata
    assert metadata["correlation_id"] == "req-1"
    assert metadata["causation_id"] == str(recorded.event_id)
    assert metadata["user"] == "saga:test"


def test_a_context_without_a_correlation_id_gets_a_new_one():
    first, second = CommandContext(), CommandContext()
    assert uuid.UUID(first.correlation_id) and first.correlation_id != second.correlation_id


# Validation.


@pytest.mark.django_db
def test_validation_refuses_before_the_handler_runs():
    bus, handler = bus_with(ValidationMiddleware(), TransactionMiddleware())
    with pytest.raises(CommandInvalid) as refused:
        bus.dispatch(Ping(stream=""))
    assert refused.value.errors == {"stream": ["May not be blank."]}
    assert handler.calls == 0 and Event.objects.count() == 0


# Recovery and logging.


@pytest.mark.django_db
def test_an_unexpected_exception_writes_nothing_and_becomes_command_failed_with_an_error_id(caplog):
    handler = PingHandler(fail_after_append=RuntimeError("bug in a handler"))
    bus, _ = bus_with(RecoveryMiddleware(), TransactionMiddleware(), handler=handler)

    with caplog.at_level(logging.ERROR, logger="commands"), pytest.raises(CommandFailed) as failed:
        bus.dispatch(Ping(stream="s1"), CommandContext(correlation_id="req-9"))

    assert Event.objects.count() == 0  # the append was rolled back with the transaction
    error_id = failed.value.error_id
    assert error_id in failed.value.detail and "bug in a handler" not in failed.value.detail
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert error_id in record.getMessage() and "req-9" in record.getMessage()
    assert record.exc_info and record.exc_info[0] is RuntimeError  # the traceback goes to the log


@pytest.mark.django_db
def test_recovery_lets_a_refusal_through_unchanged():
    handler = PingHandler(fail_after_append=DomainError("no"))
    bus, _ = bus_with(RecoveryMiddleware(), TransactionMiddleware(), handler=handler)
    with pytest.raises(DomainError):
        bus.dispatch(Ping(stream="s1"))
    assert Event.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("failure", "outcome"),
    [(None, "ok"), (DomainError("no"), "DomainError"), (RuntimeError("bug"), "error")],
)
def test_logging_writes_one_line_per_command_with_its_outcome(caplog, failure, outcome):
    handler = PingHandler(fail_after_append=failure)
    bus, _ = bus_with(LoggingMiddleware(), TransactionMiddleware(), handler=handler)
    with caplog.at_level(logging.INFO, logger="commands"):
        try:
            bus.dispatch(Ping(stream="s1"), CommandContext(user="ada", correlation_id="req-3"))
        except Exception:
            pass  # the outcome is what this test reads
    [line] = [r.getMessage() for r in caplog.records if r.name == "commands"]
    assert f"outcome={outcome} " in line
    assert "command=ping aggregate=s1" in line and "correlation_id=req-3 user=ada" in line


# Retry on conflict. The retry only happens where the bus owns the transaction, so these
# tests run with autocommit (`transaction=True`) or touch no database at all.


def test_a_retryable_command_is_run_again_after_a_conflict(fast_retries):
    handler = LosesRaces(conflicts=2)
    bus = CommandBus([RetryOnConflictMiddleware()])
    bus.register(RetryablePing, handler)

    assert bus.dispatch(RetryablePing(stream="s1")).events == ["Pinged"]
    assert handler.calls == 3


def test_retries_are_bounded(fast_retries):
    handler = LosesRaces(conflicts=100)
    bus = CommandBus([RetryOnConflictMiddleware()])
    bus.register(RetryablePing, handler)

    with pytest.raises(ConcurrencyError):
        bus.dispatch(RetryablePing(stream="s1"))
    assert handler.calls == fast_retries.COMMAND_RETRY_MAX_ATTEMPTS


@pytest.mark.parametrize(
    "command",
    [RetryablePing(stream="s1", expected_version=3), Ping(stream="s1")],
    ids=["explicit-expected-version", "not-marked-retryable"],
)
def test_no_retry_for_an_explicit_expected_version_or_an_unmarked_command(fast_retries, command):
    handler = LosesRaces(conflicts=1)
    bus = CommandBus([RetryOnConflictMiddleware()])
    bus.register(type(command), handler)

    with pytest.raises(ConcurrencyError):
        bus.dispatch(command)
    assert handler.calls == 1


@pytest.mark.django_db  # the test runs inside a transaction: the caller's, which the bus cannot restart
def test_no_retry_inside_a_transaction_the_caller_opened(fast_retries):
    bus, handler = bus_with(RetryOnConflictMiddleware(), TransactionMiddleware(), handler=PingHandler(conflicts=1))
    with pytest.raises(ConcurrencyError):
        bus.dispatch(RetryablePing(stream="s1"))
    assert handler.calls == 1


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="reads PostgreSQL transaction ids")
@pytest.mark.django_db(transaction=True)
def test_every_attempt_runs_in_a_fresh_transaction(fast_retries):
    bus, handler = bus_with(RetryOnConflictMiddleware(), TransactionMiddleware(), handler=PingHandler(conflicts=2))
    bus.dispatch(RetryablePing(stream="s1"))

    assert handler.calls == 3
    assert len(set(handler.transaction_ids)) == 3
    assert Event.objects.filter(stream_id="s1").count() == 1


def test_backoff_is_jittered_below_an_exponential_cap(settings):
    settings.COMMAND_RETRY_BASE_DELAY_SECONDS = 0.01
    settings.COMMAND_RETRY_MAX_DELAY_SECONDS = 0.05
    retry = RetryOnConflictMiddleware()
    for attempt, cap in [(1, 0.01), (2, 0.02), (3, 0.04), (4, 0.05), (9, 0.05)]:
        delays = [retry.backoff(attempt) for _ in range(200)]
        assert all(0 <= delay <= cap for delay in delays)
        assert len(set(delays)) > 100  # random, so colliding writers spread out


def test_domain_commands_marked_retryable():
    commands = [cls for cls in vars(c).values() if isinstance(cls, type) and issubclass(cls, Command)]
    retryable = {cls.command_type() for cls in commands if cls.retry_on_conflict}
    assert retryable == {
        "add-item",
        "remove-item",
        "update-customer",
        "restock-product",
        "write-off-stock",
        "ship-order",
        "cancel-order",
        "reserve-stock",
        "release-stock",
        "ship-reserved-stock",
    }


# Idempotency.


def key(value: str = "k-1", scope: str = "user:1", body: object = None) -> IdempotencyKey:
    return IdempotencyKey(scope=scope, key=value, fingerprint=request_fingerprint("ping", body or {"stream": "s1"}))


@pytest.fixture
def idempotent_bus():
    return bus_with(TransactionMiddleware(), IdempotencyMiddleware())


@pytest.mark.django_db
def test_without_a_key_idempotency_costs_no_query(django_assert_num_queries):
    bus = CommandBus([IdempotencyMiddleware()])
    bus.register(Ping, LosesRaces())
    with django_assert_num_queries(0):
        bus.dispatch(Ping(stream="s1"))


@pytest.mark.django_db
def test_a_repeated_key_replays_the_first_result_and_writes_nothing(idempotent_bus):
    bus, handler = idempotent_bus
    first = bus.dispatch(Ping(stream="s1"), CommandContext(idempotency=key()))
    again = bus.dispatch(Ping(stream="s1"), CommandContext(idempotency=key()))

    assert again == first and again.replayed and not first.replayed
    assert handler.calls == 1 and Event.objects.count() == 1
    record = IdempotencyRecord.objects.get()
    assert record.result == {"aggregate_id": "s1", "version": 1, "position": first.position, "events": ["Pinged"]}
    assert record.command_type == "ping"


@pytest.mark.django_db
def test_a_replay_is_logged_as_replayed(caplog):
    bus, _ = bus_with(LoggingMiddleware(), TransactionMiddleware(), IdempotencyMiddleware())
    with caplog.at_level(logging.INFO, logger="commands"):
        bus.dispatch(Ping(stream="s1"), CommandContext(idempotency=key()))
        bus.dispatch(Ping(stream="s1"), CommandContext(idempotency=key()))
    outcomes = [r.getMessage().split("outcome=")[1].split()[0] for r in caplog.records if r.name == "commands"]
    assert outcomes == ["ok", "replayed"]


@pytest.mark.django_db
def test_a_key_reused_for_a_different_request_is_refused(idempotent_bus):
    bus, handler = idempotent_bus
    bus.dispatch(Ping(stream="s1"), CommandContext(idempotency=key(body={"stream": "s1"})))
    with pytest.raises(IdempotencyKeyReused) as refused:
        bus.dispatch(Ping(stream="s2"), CommandContext(idempotency=key(body={"stream": "s2"})))
    assert "k-1" in refused.value.detail and "new key" in refused.value.detail
    assert handler.calls == 1 and Event.objects.count() == 1


@pytest.mark.django_db
def test_a_key_whose_first_request_has_not_finished_is_refused(idempotent_bus):
    bus, handler = idempotent_bus
    IdempotencyStore().claim(key(), "ping")  # claimed in this same, still open transaction
    with pytest.raises(IdempotencyKeyInUse, match="has not finished"):
        bus.dispatch(Ping(stream="s1"), CommandContext(idempotency=key()))
    assert handler.calls == 0


@pytest.mark.django_db
def test_keys_are_scoped(idempotent_bus):
    bus, handler = idempotent_bus
    bus.dispatch(Ping(stream="s1"), CommandContext(idempotency=key(scope="user:1")))
    other = bus.dispatch(Ping(stream="s1"), CommandContext(idempotency=key(scope="user:2")))
    assert not other.replayed and handler.calls == 2 and other.version == 2


@pytest.mark.django_db
def test_a_failed_command_leaves_neither_events_nor_its_key(idempotent_bus):
    bus, handler = idempotent_bus
    handler.fail_after_append = DomainError("refused after the append")
    with pytest.raises(DomainError):
        bus.dispatch(Ping(stream="s1"), CommandContext(idempotency=key()))
    assert Event.objects.count() == 0 and IdempotencyRecord.objects.count() == 0

    handler.fail_after_append = None  # sent again, it runs: a refusal is not remembered
    assert not bus.dispatch(Ping(stream="s1"), CommandContext(idempotency=key())).replayed
    assert Event.objects.count() == 1 and IdempotencyRecord.objects.count() == 1


@pytest.mark.django_db
def test_an_expired_key_is_claimed_afresh(idempotent_bus):
    bus, handler = idempotent_bus
    bus.dispatch(Ping(stream="s1"), CommandContext(idempotency=key()))
    IdempotencyRecord.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    again = bus.dispatch(Ping(stream="s2"), CommandContext(idempotency=key(body={"stream": "s2"})))
    assert not again.replayed and again.aggregate_id == "s2" and handler.calls == 2
    assert IdempotencyRecord.objects.get().result["aggregate_id"] == "s2"


@pytest.mark.django_db
def test_keys_live_for_the_configured_time(idempotent_bus, settings):
    settings.COMMAND_IDEMPOTENCY_KEY_TTL_SECONDS = 600
    bus, _ = idempotent_bus
    before = timezone.now()
    bus.dispatch(Ping(stream="s1"), CommandContext(idempotency=key()))
    record = IdempotencyRecord.objects.get()
    assert before + timedelta(seconds=600) <= record.expires_at <= timezone.now() + timedelta(seconds=600)


def test_idempotency_outside_a_transaction_is_a_configuration_error():
    bus, handler = bus_with(IdempotencyMiddleware())  # no TransactionMiddleware, no test transaction
    with pytest.raises(ImproperlyConfigured, match="inside TransactionMiddleware"):
        bus.dispatch(Ping(stream="s1"), CommandContext(idempotency=key()))
    assert handler.calls == 0


@pytest.mark.django_db
def test_purge_removes_only_expired_keys(idempotent_bus):
    bus, _ = idempotent_bus
    for name in ("old-1", "old-2", "fresh"):
        bus.dispatch(Ping(stream=name), CommandContext(idempotency=key(name, body={"stream": name})))
    IdempotencyRecord.objects.exclude(key="fresh").update(expires_at=timezone.now() - timedelta(minutes=1))

    assert IdempotencyStore().purge_expired(batch_size=1) == 2
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["fresh"]


@pytest.mark.django_db
def test_purge_management_command_and_task(idempotent_bus, capsys):
    bus, _ = idempotent_bus
    bus.dispatch(Ping(stream="s1"), CommandContext(idempotency=key()))
    IdempotencyRecord.objects.update(expires_at=timezone.now())

    call_command("purge_idempotency_keys")
    assert "Deleted 1 expired idempotency key." in capsys.readouterr().out
    assert purge_expired_idempotency_keys() == 0 and IdempotencyRecord.objects.count() == 0


def test_fingerprint_ignores_key_order_but_not_values_or_command():
    assert request_fingerprint("ping", {"a": 1, "b": [1, 2]}) == request_fingerprint("ping", {"b": [1, 2], "a": 1})
    assert request_fingerprint("ping", {"a": 1}) != request_fingerprint("ping", {"a": 2})
    assert request_fingerprint("ping", {"a": 1}) != request_fingerprint("pong", {"a": 1})

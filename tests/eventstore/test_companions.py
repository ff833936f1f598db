"""Companion writes: rows that commit with a stream's append, in its round trip (`eventstore.companions`)."""

import pytest
from django.db import IntegrityError, connection, transaction

from commands_app.domain import commands as c
from commands_app.framework.bus import CommandBus, CommandContext
from commands_app.framework.errors import DomainError
from commands_app.framework.middleware import TransactionMiddleware
from commands_app.wiring import command_bus
from eventstore import companions
from eventstore.companions import CompanionWrite
from eventstore.models import Event
from eventstore.personal.keys import DataKey
from eventstore.personal.sealing import seal_fields
from eventstore.store import ConcurrencyError, EventStore, NewEvent
from tests.api.helpers import unique_email
from tests.round_trips import counting_round_trips

postgres_only = pytest.mark.skipif("connection.vendor != 'postgresql'", reason="needs PostgreSQL (run `make test`)")

# A table of the test's own (per connection, gone with it): the store knows nothing of its rows.
CREATE = "CREATE TEMPORARY TABLE companion_probe (name varchar(40) PRIMARY KEY, note varchar(40))"
INSERT = "INSERT INTO companion_probe (name, note) VALUES (%s, %s) ON CONFLICT (name) DO NOTHING RETURNING name"


class Refused(Exception):
    pass


def probe(name: str, check=None, sql: str = INSERT) -> CompanionWrite:
    return CompanionWrite(sql, [name, "noted"], check)


def probe_rows() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM companion_probe ORDER BY name")
        return [name for (name,) in cursor.fetchall()]


def one_event() -> list[NewEvent]:
    return [NewEvent(event_type="Happened", data={"n": 1})]


def refuse_unless_inserted(rows):
    if not rows:
        raise Refused("taken")


@pytest.fixture
def probe_table():
    with connection.cursor() as cursor:
        cursor.execute(CREATE)
    yield
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS companion_probe")


@pytest.fixture
def store() -> EventStore:
    return EventStore()


@pytest.mark.django_db
@pytest.mark.usefixtures("probe_table")
class TestWithAppend:
    def test_the_write_commits_with_the_append_and_its_check_sees_its_rows(self, store):
        seen = []
        with transaction.atomic():
            companions.send_with_append(probe("a", seen.append))
            companions.send_with_append(probe("b", seen.append))
            assert probe_rows() == []  # queued, not sent
            store.append("s-1", "Thing", one_event(), expected_version=0)
        assert probe_rows() == ["a", "b"] and seen == [[("a",)], [("b",)]]
        assert companions.take() == []  # the append took the whole queue

    def test_a_failing_check_refuses_and_rolls_the_events_back(self, store):
        with transaction.atomic():
            companions.send_with_append(probe("a"))
            store.append("s-0", "Thing", one_event(), expected_version=0)
        with pytest.raises(Refused), transaction.atomic():
            companions.send_with_append(probe("a", refuse_unless_inserted))  # held already: no row back
            store.append("s-1", "Thing", one_event(), expected_version=0)
        assert not Event.objects.filter(stream_id="s-1").exists()

    def test_the_check_runs_before_the_version_check_is_read(self, store):
        # The stream is taken and the companion lost: the refusal is the companion's, not a conflict.
        with transaction.atomic():
            companions.send_with_append(probe("a"))
            store.append("s-1", "Thing", one_event(), expected_version=0)
        with pytest.raises(Refused), transaction.atomic():
            companions.send_with_append(probe("a", refuse_unless_inserted))
            store.append("s-1", "Thing", one_event(), expected_version=0)

    def test_a_version_conflict_rolls_the_companion_back(self, store):
        store.append("s-1", "Thing", one_event(), expected_version=0)
        with pytest.raises(ConcurrencyError) as error, transaction.atomic():
            companions.send_with_append(probe("b", refuse_unless_inserted))  # inserted: the check passes
            store.append("s-1", "Thing", one_event(), expected_version=0)
        assert error.value.actual_version == 1
        assert probe_rows() == []

    def test_a_companions_own_integrity_error_is_no_concurrency_error(self, store):
        plain_insert = "INSERT INTO companion_probe (name, note) VALUES (%s, %s)"
        with transaction.atomic():
            companions.send_with_append(probe("a", sql=plain_insert))
            store.append("s-1", "Thing", one_event(), expected_version=0)
        with pytest.raises(IntegrityError) as error, transaction.atomic():
            companions.send_with_append(probe("a", sql=plain_insert))
            store.append("s-2", "Thing", one_event(), expected_version=0)
        assert not isinstance(error.value, ConcurrencyError)
        assert not Event.objects.filter(stream_id="s-2").exists()

    def test_a_write_no_append_took_runs_with_run_left(self):
        seen = []
        with transaction.atomic():
            companions.send_with_append(probe("a", seen.append))
            companions.run_left()
            assert probe_rows() == ["a"] and seen == [[("a",)]]
            companions.run_left()  # nothing left: a no-op
        assert probe_rows() == ["a"]

    def test_discard_forgets_the_queue(self, store):
        with transaction.atomic():
            companions.send_with_append(probe("a"))
            companions.discard()
            store.append("s-1", "Thing", one_event(), expected_version=0)
        assert probe_rows() == []

    def test_a_write_of_a_savepoint_that_rolled_back_is_never_sent(self, store):
        with transaction.atomic():
            companions.send_with_append(probe("kept"))
            with pytest.raises(Refused), transaction.atomic():  # a savepoint
                companions.send_with_append(probe("rolled back"))
                raise Refused("the savepoint rolls back")
            store.append("s-1", "Thing", one_event(), expected_version=0)
        assert probe_rows() == ["kept"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("probe_table")
def test_a_write_of_a_transaction_that_rolled_back_never_rides_the_next_one(store):
    # Outside the bus, so nothing discards the queue as the next transaction starts.
    with pytest.raises(Refused), transaction.atomic():
        companions.send_with_append(probe("stale"))
        raise Refused("before the append")
    with transaction.atomic():
        store.append("s-1", "Thing", one_event(), expected_version=0)
    assert probe_rows() == []


def test_queueing_outside_a_transaction_is_refused(transactional_db):
    with pytest.raises(RuntimeError, match="inside the transaction"):
        companions.send_with_append(probe("a"))


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("probe_table")
class TestThroughTheBus:
    def test_a_failed_commands_queue_never_rides_a_later_append(self):
        # A transaction that queued a write and then failed before appending leaves the queue on
        # the connection; the bus discards it as the next command's transaction starts.
        with pytest.raises(Refused), transaction.atomic():
            companions.send_with_append(probe("stale"))
            raise Refused("before the append")
        command_bus().dispatch(c.RegisterCustomer(name="Ada", email=unique_email()), CommandContext())
        assert probe_rows() == []

    def test_a_refused_commands_queue_is_dropped_with_its_transaction(self, store):
        def queue_then_refuse(command, context):
            companions.send_with_append(probe("stale"))
            raise DomainError("refused after queueing")

        bus = CommandBus([TransactionMiddleware(store)])
        bus.register(c.RegisterCustomer, queue_then_refuse)
        with pytest.raises(DomainError):
            bus.dispatch(c.RegisterCustomer(name="Ada", email=unique_email()))
        with transaction.atomic():  # an append outside the bus, on the same connection
            store.append("s-1", "Thing", one_event(), expected_version=0)
        assert probe_rows() == []


@postgres_only
@pytest.mark.django_db
@pytest.mark.usefixtures("probe_table")
def test_companions_data_key_and_events_go_out_in_one_round_trip(store):
    with transaction.atomic():
        probe_rows()  # the transaction's BEGIN, before counting
        companions.send_with_append(probe("a"))
        companions.send_with_append(probe("b"))
        sealed = seal_fields({"name": "Ada"}, ("name",), "s-1", new_subject=True)  # a new subject's key, pending
        with counting_round_trips() as trips:
            store.append("s-1", "Thing", [NewEvent("Happened", sealed)], expected_version=0)
    assert trips.count == 1, trips.messages
    assert probe_rows() == ["a", "b"] and DataKey.objects.filter(subject="s-1").exists()

"""The numbering at commit itself (migration 0006), on real PostgreSQL transactions.

- rows carry provisional, negative positions until their transaction commits, and
  the next positions in insertion order afterwards;
- nobody but the numbering trigger can turn a provisional position into a real one;
- the command's COMMIT and the read of its position share one round trip, and a COMMIT
  that fails answers an error, writes nothing and leaves the connection usable.
"""

import pytest
from django.db import DatabaseError, connection, transaction

from commands_app.framework.middleware import TransactionMiddleware
from eventstore.models import Event
from eventstore.store import EventStore, NewEvent
from tests.commands_app.test_middleware import Ping, bus_with

pytestmark = [
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="needs PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]


def positions(stream_id: str) -> list[int]:
    return list(Event.objects.filter(stream_id=stream_id).order_by("version").values_list("position", flat=True))


def test_rows_are_provisional_until_commit_then_numbered_in_insertion_order():
    store = EventStore()
    store.append("before", "Test", [NewEvent("TestHappened", {})], expected_version=0)
    head = store.head()
    with transaction.atomic():
        appended = store.append("s", "Test", [NewEvent("TestHappened", {"n": n}) for n in range(3)], 0)
        assert all(position < 0 for position in positions("s"))
        assert appended.position is None  # not numbered yet
    assert positions("s") == [head + 1, head + 2, head + 3]
    assert appended.position == head + 3


def test_a_session_cannot_number_its_own_rows():
    with pytest.raises(DatabaseError, match="immutable"), transaction.atomic():
        EventStore().append("s", "Test", [NewEvent("TestHappened", {})], expected_version=0)
        with connection.cursor() as cursor:
            cursor.execute("UPDATE eventstore_event SET position = 1000000000000 WHERE position < 0")
    assert not Event.objects.exists()


def test_a_command_gets_the_position_its_commit_assigned():
    bus, _ = bus_with(TransactionMiddleware())
    first = bus.dispatch(Ping(stream="a"))
    second = bus.dispatch(Ping(stream="b"))
    assert (first.position, second.position) == (positions("a")[0], positions("b")[0])
    assert second.position == first.position + 1 == EventStore().head()


@pytest.fixture
def commit_fails_for_doomed_streams():
    """A test-only deferred check that refuses, at commit, every event of the stream `doomed`."""
    with connection.cursor() as cursor:
        cursor.execute("""
            CREATE FUNCTION test_refuse_doomed() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'doomed at commit'; END $$;
            CREATE CONSTRAINT TRIGGER test_refuse_doomed AFTER INSERT ON eventstore_event
                DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.stream_id = 'doomed')
                EXECUTE FUNCTION test_refuse_doomed();""")
    yield
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER test_refuse_doomed ON eventstore_event; DROP FUNCTION test_refuse_doomed();")


def test_a_commit_that_fails_is_an_error_writes_nothing_and_leaves_the_connection_usable(
    commit_fails_for_doomed_streams,
):
    bus, _ = bus_with(TransactionMiddleware())
    with pytest.raises(DatabaseError, match="doomed at commit"):
        bus.dispatch(Ping(stream="doomed"))
    assert not Event.objects.filter(stream_id="doomed").exists()
    assert not connection.in_atomic_block
    assert bus.dispatch(Ping(stream="fine")).position == positions("fine")[0]

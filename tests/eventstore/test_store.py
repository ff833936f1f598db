"""EventStore: append with optimistic concurrency, load, read_all, immutability."""

import threading
import uuid

import pytest
from django.db import DatabaseError, connection, connections, transaction

from eventstore.models import Event
from eventstore.store import ConcurrencyError, EventStore, NewEvent

postgres_only = pytest.mark.skipif("connection.vendor != 'postgresql'", reason="needs PostgreSQL (run `make test`)")


def events(*types: str) -> list[NewEvent]:
    return [NewEvent(event_type=t, data={"n": i}) for i, t in enumerate(types)]


@pytest.fixture
def store() -> EventStore:
    return EventStore()


@pytest.mark.django_db
class TestAppend:
    def test_new_stream_starts_at_version_1_and_positions_grow(self, store):
        first = store.append("s-1", "Thing", events("A", "B"), expected_version=0)
        second = store.append("s-2", "Thing", events("C"), expected_version=0)

        assert first.version == 2
        assert [e.version for e in first.events] == [1, 2]
        assert second.position > first.position
        assert [e.event_type for e in store.load("s-1")] == ["A", "B"]

    def test_append_at_the_current_version_extends_the_stream(self, store):
        store.append("s-1", "Thing", events("A"), expected_version=0)
        result = store.append("s-1", "Thing", events("B"), expected_version=1)
        assert result.version == 2

    @pytest.mark.parametrize("expected", [0, 2, 5])
    def test_wrong_expected_version_is_a_concurrency_error_and_writes_nothing(self, store, expected):
        store.append("s-1", "Thing", events("A"), expected_version=0)
        with pytest.raises(ConcurrencyError) as error:
            store.append("s-1", "Thing", events("B"), expected_version=expected)
        assert error.value.actual_version == 1
        assert Event.objects.count() == 1

    def test_expected_version_none_appends_wherever_the_stream_is(self, store):
        store.append("s-1", "Thing", events("A"), expected_version=None)
        assert store.append("s-1", "Thing", events("B"), expected_version=None).version == 2

    def test_appending_nothing_is_refused(self, store):
        with pytest.raises(ValueError):
            store.append("s-1", "Thing", [], expected_version=0)

    def test_read_all_follows_global_position_with_a_limit(self, store):
        store.append("a", "Thing", events("A1", "A2"), expected_version=0)
        store.append("b", "Thing", events("B1"), expected_version=0)
        store.append("a", "Thing", events("A3"), expected_version=2)

        everything = store.read_all(0, limit=10)
        assert [e.event_type for e in everything] == ["A1", "A2", "B1", "A3"]
        assert [e.event_type for e in store.read_all(everything[1].position, limit=1)] == ["B1"]
        assert store.head() == everything[-1].position
        assert [e.event_type for e in store.iter_all(0, batch_size=1)] == ["A1", "A2", "B1", "A3"]

    def test_data_and_metadata_are_stored_as_given(self, store):
        metadata = {"correlation_id": "c-1", "user": "ada"}
        store.append("s", "Thing", [NewEvent("A", {"price": "10.50", "ids": [1, 2]}, metadata)], 0)
        (loaded,) = store.load("s")
        assert loaded.data == {"price": "10.50", "ids": [1, 2]}
        assert loaded.metadata == metadata
        assert isinstance(loaded.event_id, uuid.UUID)


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_writers_with_the_same_expected_version_exactly_one_wins():
    store = EventStore()
    store.append("race", "Thing", events("Created"), expected_version=0)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def writer(name: str) -> None:
        try:
            barrier.wait()
            store.append("race", "Thing", events(name), expected_version=1)
            outcomes.append("ok")
        except ConcurrencyError:
            outcomes.append("conflict")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(f"W{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["conflict", "ok"]
    assert [e.version for e in store.load("race")] == [1, 2]


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_unique_stream_version_is_enforced_by_the_database_itself():
    EventStore().append("s", "Thing", events("A"), expected_version=0)
    with pytest.raises(DatabaseError), transaction.atomic():
        Event.objects.create(stream_type="Thing", stream_id="s", version=1, event_type="Dup", data={})


@postgres_only
@pytest.mark.django_db
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE eventstore_event SET data = '{}'::jsonb",
        "UPDATE eventstore_event SET event_type = 'Forged' WHERE stream_id = 's'",
        "DELETE FROM eventstore_event",
    ],
)
def test_event_rows_cannot_be_updated_or_deleted_on_postgres(sql):
    EventStore().append("s", "Thing", events("A"), expected_version=0)
    with pytest.raises(DatabaseError, match="immutable"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    assert Event.objects.get().event_type == "A"

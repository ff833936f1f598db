"""The log's read path: `read_all` gives exactly what was appended, and catch-ups take turns."""

import threading

import pytest
from django.db import connection, connections, transaction

from eventstore.routers import subscription_db
from eventstore.store import EventStore, NewEvent
from eventstore.subscriptions import catch_up, ensure_checkpoint, get_subscriber, lock_checkpoint

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]


def test_read_all_gives_the_events_as_a_stream_load_does_metadata_included():
    store = EventStore()
    metadata = {"correlation_id": "c-1", "user": "ada", "nested": {"n": [1, 2.5, None, True]}}
    store.append("s", "Test", [NewEvent("TestHappened", {"n": i, "text": "é ✓"}, metadata) for i in range(3)], None)

    read = store.read_all(0, 10)

    assert read == store.load("s")  # every field, the metadata decoded when compared
    assert [event.metadata for event in read] == [metadata] * 3
    assert all(event.metadata == {} for event in store.read_all(0, 10, metadata=False))
    assert [event.position for event in store.read_all(read[0].position, 10)] == [e.position for e in read[1:]]


def test_read_all_keeps_integers_beyond_64_bits():
    """orjson refuses them; the standard library's decoder takes over (fails if it does not)."""
    store = EventStore()
    store.append("s", "Test", [NewEvent("TestHappened", {"n": (2**70 + 1)}, {"big": -(2**80 + 1)})], None)

    (event,) = store.read_all(0, 10)

    assert event.data["n"] == (2**70 + 1)
    assert event.metadata["big"] == -(2**80 + 1)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs row locks (PostgreSQL)")
def test_a_catch_up_waits_for_another_runner_of_the_same_subscriber_then_handles_each_event_once(recorder):
    """The first look at the checkpoint skips a locked row; a runner that is not a rebuild is waited for."""
    subscriber = get_subscriber("test_recorder")
    ensure_checkpoint(subscriber.name)
    EventStore().append("s", "Test", [NewEvent("TestHappened", {"n": n}) for n in range(3)], None)
    locked, release = threading.Event(), threading.Event()

    def other_runner() -> None:
        try:
            with transaction.atomic(using=subscription_db()):
                lock_checkpoint(subscriber.name)
                locked.set()
                release.wait(30)
        finally:
            connections.close_all()

    holder = threading.Thread(target=other_runner)
    holder.start()
    assert locked.wait(30)
    handled: list[int] = []
    runner = threading.Thread(target=lambda: (handled.append(catch_up(subscriber)), connections.close_all()))
    runner.start()
    runner.join(0.5)  # gives it time to reach the lock; it must be waiting there, not done
    assert runner.is_alive() and not handled
    release.set()
    holder.join(30)
    runner.join(30)

    assert handled == [3]
    assert [event.data["n"] for event in recorder.handled] == [0, 1, 2]

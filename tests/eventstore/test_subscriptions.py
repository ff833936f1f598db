"""Subscriptions under faults: poison events, retry, skip, status, rebuild."""

import threading
import time
import uuid
from datetime import timedelta

import pytest
from django.db import connection, connections  # noqa: F401  `connection`: read by the skipif conditions
from django.utils import timezone

from commands_app.domain import commands as c
from commands_app.wiring import command_bus
from eventstore import operations
from eventstore.models import Checkpoint, Event, SkippedEvent
from eventstore.routers import subscription_db
from eventstore.store import EventStore, NewEvent
from eventstore.subscriptions import BatchFailed, catch_up, catch_up_all, get_subscriber, mark_failed
from queries_app.models import OrderSummary
from tests.api.helpers import place_order, register_customer

# Committed transactions: the recorder counts only what really committed.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]


def append(stream: str, *payloads: dict) -> None:
    store = EventStore()
    version = store.stream_version(stream)
    store.append(stream, "Test", [NewEvent("TestHappened", p) for p in payloads], expected_version=version)


def status(name: str) -> operations.SubscriberStatus:
    return next(s for s in operations.subscriber_statuses() if s.name == name)


def test_a_poison_event_is_retried_then_stops_the_subscriber_with_the_error(recorder, settings):
    append("s", {"n": 1}, {"n": 2}, {"n": 3, "poison": True}, {"n": 4})
    catch_up(get_subscriber("test_recorder"), batch_size=10)

    assert [e.data["n"] for e in recorder.handled] == [1, 2]  # what precedes the bad event lands
    bad_position = EventStore().load("s")[2].position
    # once in the batch, then once plus EVENTSTORE_HANDLER_RETRIES on its own
    assert recorder.attempts[bad_position] == 2 + settings.EVENTSTORE_HANDLER_RETRIES
    checkpoint = Checkpoint.objects.get(name="test_recorder")
    assert checkpoint.state == "failed"
    assert checkpoint.failed_position == bad_position
    assert "cannot digest" in checkpoint.last_error and "TestHappened" in checkpoint.last_error
    assert "ValueError" in checkpoint.last_traceback
    assert checkpoint.position < bad_position

    # It stays stopped: later wake-ups do not pass the bad event.
    catch_up_all()
    assert [e.data["n"] for e in recorder.handled] == [1, 2]
    assert status("test_recorder").state == "failed"


def test_other_subscribers_keep_running_past_a_failed_one(recorder, api):
    append("s", {"poison": True})
    order = place_order(api, register_customer(api), items=[])  # empty: the saga writes nothing for it
    catch_up_all()
    assert status("test_recorder").state == "failed"
    assert OrderSummary.objects.filter(id=order).exists()
    assert status("order_summary").state == "running"


def test_retry_after_the_cause_is_fixed_goes_on(recorder):
    append("s", {"n": 1, "poison": True}, {"n": 2})
    subscriber = get_subscriber("test_recorder")
    catch_up(subscriber)
    recorder.poisoned = False  # the operator deployed a fix
    operations.retry(subscriber)
    assert [e.data["n"] for e in recorder.handled] == [1, 2]
    assert status("test_recorder").state == "running"


def test_skip_passes_exactly_the_failed_event_and_records_who_and_why(recorder):
    append("s", {"n": 1}, {"n": 2, "poison": True}, {"n": 3})
    subscriber = get_subscriber("test_recorder")
    catch_up(subscriber)
    record = operations.skip(subscriber, by="ops-alice", reason="malformed by an old client")

    assert [e.data["n"] for e in recorder.handled] == [1, 3]
    assert record.skipped_by == "ops-alice" and record.reason == "malformed by an old client"
    assert record.event_type == "TestHappened" and "cannot digest" in record.error
    assert SkippedEvent.objects.count() == 1
    assert status("test_recorder").state == "running"


def test_retry_and_skip_are_refused_when_nothing_failed(recorder):
    subscriber = get_subscriber("test_recorder")
    with pytest.raises(operations.OperationRefused):
        operations.retry(subscriber)
    with pytest.raises(operations.OperationRefused):
        operations.skip(subscriber, by="x", reason="y")


def test_skip_needs_a_reason(recorder):
    append("s", {"poison": True})
    catch_up(get_subscriber("test_recorder"))
    with pytest.raises(operations.OperationRefused, match="why"):
        operations.skip(get_subscriber("test_recorder"), by="x", reason="  ")


def test_status_reports_position_head_lag_and_state(api):
    place_order(api, register_customer(api), items=[])
    before = status("order_summary")
    assert (before.position, before.lag, before.state) == (0, 2, "catching_up")
    assert before.head == EventStore().head() and before.lag_seconds >= 0
    catch_up_all()
    after = status("order_summary")
    assert (after.position, after.lag, after.lag_seconds, after.state) == (after.head, 0, 0.0, "running")


def test_rebuild_replays_from_zero_and_reports_progress(api):
    customer = register_customer(api)
    for _ in range(5):
        place_order(api, customer, items=[])
    catch_up_all()
    before = list(OrderSummary.objects.order_by("id").values_list("id", "total", "customer_name"))
    seen = []

    def progress(position, head):
        seen.append((position, head, status("order_summary").state))

    result = operations.rebuild(get_subscriber("order_summary"), batch_size=2, progress=progress)

    assert result.events == 6 and result.events_per_second > 0
    assert seen[-1][0] == seen[-1][1] == EventStore().head()
    assert {state for *_, state in seen} == {"rebuilding"}
    assert list(OrderSummary.objects.order_by("id").values_list("id", "total", "customer_name")) == before
    assert status("order_summary").state == "running"


def test_a_failing_rebuild_leaves_the_old_read_model_and_state(recorder, api):
    place_order(api, register_customer(api))
    catch_up(get_subscriber("order_summary"))
    append("s", {"poison": True})
    with pytest.raises(ValueError):
        operations.rebuild(get_subscriber("test_recorder"))
    assert Checkpoint.objects.get(name="test_recorder").state == "running"


def test_projection_status_api_gives_exactly_the_documented_fields(api):
    place_order(api, register_customer(api))
    body = api.get("/api/projections/").json()
    assert [item["name"] for item in body] == ["customer_view", "order_summary", "product_stock", "order_fulfilment"]
    assert set(body[0]) == {"name", "position", "head", "lag", "lag_seconds", "state", "last_error", "rebuild"}
    assert body[0]["rebuild"] is None
    assert body[0]["state"] == "catching_up"


def test_a_rebuilding_mark_left_by_a_dead_rebuild_is_ignored(api):
    place_order(api, register_customer(api))
    catch_up(get_subscriber("order_summary"))
    place_order(api, register_customer(api, "Bob", "bob@example.com"))
    # A fresh mark on an unlocked row is a rebuild about to take the lock: leave it alone.
    Checkpoint.objects.filter(name="order_summary").update(state="rebuilding", updated_at=timezone.now())
    assert catch_up(get_subscriber("order_summary")) == 0
    # An old one is left by a rebuild whose process died.
    an_hour_ago = timezone.now() - timedelta(hours=1)
    Checkpoint.objects.filter(name="order_summary").update(state="rebuilding", updated_at=an_hour_ago)
    assert catch_up(get_subscriber("order_summary")) == 2
    assert Checkpoint.objects.get(name="order_summary").state == "running"


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="needs PostgreSQL")
def test_workers_leave_a_subscriber_alone_while_a_one_transaction_rebuild_holds_it(api):
    place_order(api, register_customer(api))
    catch_up(get_subscriber("order_summary"))
    place_order(api, register_customer(api, "Bob", "bob@example.com"))
    inside, finish = threading.Event(), threading.Event()

    def slow_progress(position, head):
        inside.set()
        finish.wait(10)

    def rebuild_in_thread():
        try:
            # The way of SQLite and of subscribers without `read_models`.
            operations.rebuild_in_one_transaction(get_subscriber("order_summary"), batch_size=1, progress=slow_progress)
        finally:
            connections.close_all()

    thread = threading.Thread(target=rebuild_in_thread)
    thread.start()
    try:
        assert inside.wait(10)
        started = time.monotonic()
        assert catch_up(get_subscriber("order_summary")) == 0
        assert time.monotonic() - started < 2  # it did not wait for the rebuild's lock
        assert status("order_summary").state == "rebuilding"
    finally:
        finish.set()
        thread.join(20)
    assert status("order_summary").state == "running"
    assert OrderSummary.objects.count() == 2


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="needs PostgreSQL")
def test_the_live_generation_keeps_catching_up_while_a_blue_green_rebuild_runs(api):
    place_order(api, register_customer(api))
    catch_up(get_subscriber("order_summary"))
    place_order(api, register_customer(api, "Bob", "bob@example.com"))
    inside, finish = threading.Event(), threading.Event()

    def slow_progress(position, head):
        inside.set()
        finish.wait(10)

    def rebuild_in_thread():
        try:
            operations.rebuild(get_subscriber("order_summary"), batch_size=1, progress=slow_progress)
        finally:
            connections.close_all()

    thread = threading.Thread(target=rebuild_in_thread)
    thread.start()
    try:
        assert inside.wait(10)
        assert catch_up(get_subscriber("order_summary")) == 2  # Bob and his order, into the live tables
        assert OrderSummary.objects.count() == 2
        during = status("order_summary")
        assert during.state == "rebuilding" and during.rebuild.state == "running"
        assert 0 < during.rebuild.position <= during.rebuild.head and during.rebuild.events >= 1
        # The new generation is in its own schema; the live one is whole meanwhile.
        with connections[subscription_db()].cursor() as cursor:
            cursor.execute("SELECT count(*) FROM rebuild_order_summary.queries_app_ordersummary")
            assert cursor.fetchone()[0] <= 2
    finally:
        finish.set()
        thread.join(20)
    after = status("order_summary")
    assert (after.state, after.rebuild, after.lag) == ("running", None, 0)
    assert OrderSummary.objects.count() == 2
    with connections[subscription_db()].cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = 'rebuild_order_summary'")
        assert cursor.fetchone() is None  # the emptied schema is gone


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="needs PostgreSQL")
def test_a_rebuild_while_commands_arrive_ends_at_the_head_and_readers_never_see_a_partial_table(api):
    customer = register_customer(api)
    for _ in range(30):
        place_order(api, customer)
    catch_up_all()
    stop = threading.Event()
    counts: list[int] = []
    errors: list[BaseException] = []

    def reader():
        try:
            while not stop.is_set():
                counts.append(OrderSummary.objects.count())
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    def writer():
        try:
            bus = command_bus()
            while not stop.is_set():
                bus.dispatch(c.PlaceOrder(customer_id=uuid.UUID(customer)))
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=reader), threading.Thread(target=writer)]
    for thread in threads:
        thread.start()
    try:
        operations.rebuild(get_subscriber("order_summary"), batch_size=5)
    finally:
        stop.set()
        for thread in threads:
            thread.join(20)
    assert not errors, errors
    assert min(counts) >= 30  # never an empty or half-built table
    catch_up_all()
    placed = Event.objects.filter(event_type="OrderPlaced").count()
    assert OrderSummary.objects.count() == placed > 30


def test_a_rebuild_keeps_skipped_events_skipped(recorder):
    append("s", {"n": 1}, {"n": 2, "poison": True}, {"n": 3})
    subscriber = get_subscriber("test_recorder")
    catch_up(subscriber)
    operations.skip(subscriber, by="ops", reason="bad")
    recorder.handled.clear()
    operations.rebuild(subscriber)  # the poison would fail the whole rebuild if replayed
    assert [e.data["n"] for e in recorder.handled] == [1, 3]
    assert status("test_recorder").state == "running"


def test_a_failure_recorded_after_another_runner_moved_on_is_dropped(recorder):
    append("s", {"n": 1, "poison": True}, {"n": 2})
    subscriber = get_subscriber("test_recorder")
    first = EventStore().load("s")[0]
    recorder.poisoned = False
    catch_up(subscriber)  # another runner handled both events
    mark_failed(subscriber, BatchFailed(first, ValueError("stale failure")))
    assert status("test_recorder").state == "running"

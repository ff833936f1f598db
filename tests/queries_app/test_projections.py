"""Projections catch up from their checkpoint; replays and duplicate wake-ups change nothing."""

import threading

import pytest
from django.db import connection, connections, transaction  # noqa: F401  `connection`: read by the skipif conditions

from eventstore.models import Checkpoint, Event
from eventstore.routers import subscription_db
from eventstore.store import EventStore
from eventstore.subscriptions import catch_up, catch_up_all, get_subscriber, registered_subscribers
from eventstore.tasks import catch_up_subscriber
from queries_app.models import CustomerView, OrderSummary, OrderSummaryLine
from tests.api.helpers import command, place_order, register_customer

pytestmark = pytest.mark.integration


def snapshot() -> dict:
    return {
        "customers": sorted(CustomerView.objects.values_list("id", "name", "order_count", "total_spent")),
        "orders": sorted(
            OrderSummary.objects.values_list("id", "customer_name", "item_count", "total", "status", "version")
        ),
        "lines": sorted(OrderSummaryLine.objects.values_list("order_id", "sku", "quantity")),
    }


@pytest.mark.django_db
def test_checkpoints_reach_the_head_and_a_second_catch_up_does_nothing(api):
    place_order(api, register_customer(api), items=[])  # empty: the saga has nothing to do for it
    first = catch_up_all()
    assert first == {"customer_view": 2, "order_summary": 2, "product_stock": 0, "order_fulfilment": 1}
    head = EventStore().head()
    assert set(Checkpoint.objects.values_list("position", flat=True)) == {head}
    before = snapshot()
    assert catch_up_all() == {"customer_view": 0, "order_summary": 0, "product_stock": 0, "order_fulfilment": 0}
    for _ in range(2):  # the same wake-up, delivered again
        assert catch_up_subscriber("order_summary") == 0
    assert snapshot() == before


@pytest.mark.django_db
def test_small_batches_give_the_same_result_as_one_big_batch(api):
    customer = register_customer(api)
    for _ in range(3):
        order = place_order(api, customer)
        command(api, "add-item", order_id=order, sku="X", quantity=1, unit_price="2.00")
    for _ in range(2):  # the second round reads what the saga wrote (X is no product: it cancels)
        for subscriber in registered_subscribers():
            catch_up(subscriber, batch_size=1)
    small = snapshot()
    assert {status for *_, status, _ in small["orders"]} == {"cancelled"}
    written = Event.objects.count()
    for subscriber in registered_subscribers():
        subscriber.reset()
    Checkpoint.objects.update(position=0)
    catch_up_all(batch_size=1000)
    assert snapshot() == small
    assert Event.objects.count() == written  # the saga's replay sent nothing again


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_different_subscribers_run_in_parallel_while_one_is_held(api):
    place_order(api, register_customer(api))
    held, release = threading.Event(), threading.Event()

    def hold_customer_view():
        try:
            with transaction.atomic(using=subscription_db()):
                Checkpoint.objects.select_for_update().get(name="customer_view")
                held.set()
                release.wait(10)
        finally:
            connections.close_all()

    catch_up(get_subscriber("customer_view"))  # creates its checkpoint row
    holder = threading.Thread(target=hold_customer_view)
    holder.start()
    try:
        assert held.wait(10)
        assert catch_up(get_subscriber("order_summary")) == 2  # not blocked by the other one's lock
    finally:
        release.set()
        holder.join(10)


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_concurrent_wake_ups_apply_each_event_once(api):
    customer = register_customer(api)
    for _ in range(20):
        place_order(api, customer)
    barrier = threading.Barrier(4)
    handled = []

    def worker():
        try:
            barrier.wait()
            handled.append(catch_up(get_subscriber("customer_view"), batch_size=3))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(handled) == 21  # 1 registration + 20 orders, each exactly once
    assert CustomerView.objects.get(id=customer).order_count == 20

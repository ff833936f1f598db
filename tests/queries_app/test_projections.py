"""Projections catch up from their checkpoint; replays and duplicate wake-ups change nothing."""

import threading
from decimal import Decimal

import pytest
from django.db import connection, connections, transaction  # noqa: F401  `connection`: read by the skipif conditions

from eventstore.models import Checkpoint, Event
from eventstore.routers import subscription_db
from eventstore.store import EventStore
from eventstore.subscriptions import catch_up, catch_up_all, get_subscriber, registered_subscribers
from eventstore.tasks import catch_up_subscriber
from queries_app.models import CustomerOrderTotal, CustomerView, OrderSummary, OrderSummaryLine
from tests.api.helpers import (
    command,
    in_catalogue,
    new_id,
    place_confirmed_order,
    place_order,
    project,
    register_customer,
    stock,
)

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


@pytest.mark.django_db
def test_an_order_keeps_its_lines_when_a_later_batch_changes_them(api):
    # The later batch loads the lines it replaces: keyed as the events name the order.
    order = place_order(api, register_customer(api))
    projection = get_subscriber("order_summary")
    catch_up(projection)
    in_catalogue(api, [{"sku": "GADGET", "quantity": 1, "unit_price": "1.50"}])
    command(api, "add-item", order_id=order, sku="GADGET", quantity=1, unit_price="1.50")
    command(api, "add-item", order_id=order, sku="WIDGET", quantity=1, unit_price="9.99")
    catch_up(projection)
    lines = OrderSummaryLine.objects.filter(order_id=order).values_list("sku", "quantity", "unit_price")
    assert sorted(lines) == [("GADGET", 1, Decimal("1.50")), ("WIDGET", 3, Decimal("9.99"))]
    assert OrderSummary.objects.get(id=order).item_count == 4


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


def _summary(order_id: str) -> tuple:
    return OrderSummary.objects.values_list("item_count", "total", "status", "version").get(id=order_id)


@pytest.mark.django_db
def test_a_line_change_of_a_confirmed_order_shows_it_placed_until_the_saga_confirms_it_again(api):
    order = place_confirmed_order(api, register_customer(api))
    stock(api, "INK", 5)
    catch_up(get_subscriber("order_summary"))
    assert _summary(order)[2] == "confirmed"

    response = command(api, "add-item", order_id=order, sku="INK", quantity=1, unit_price="9.99")
    assert response.json()["events"] == ["ItemAdded", "OrderReopened"]
    catch_up(get_subscriber("order_summary"))
    assert _summary(order) == (3, Decimal("29.97"), "placed", 4)

    project()
    assert _summary(order) == (3, Decimal("29.97"), "confirmed", 5)


@pytest.mark.django_db
def test_projections_copy_the_total_a_line_event_carries(api):
    # Rows written by hand in schema 2: the figure the event carries is the one shown, with no sum redone.
    customer, order = register_customer(api), new_id()
    placed = {"customer_id": customer, "lines": [{"sku": "A", "quantity": 1, "unit_price": "1.00"}], "total": "1.00"}
    rows = [
        ("OrderPlaced", placed),
        ("ItemAdded", {"sku": "B", "quantity": 1, "unit_price": "2.00", "total": "7.00"}),
        ("ItemRemoved", {"sku": "A", "quantity": 1, "unit_price": "1.00", "total": "6.00"}),
    ]
    for version, (event_type, data) in enumerate(rows, start=1):
        Event.objects.create(
            stream_type="Order", stream_id=order, version=version, event_type=event_type, schema_version=2, data=data
        )
    for name in ("order_summary", "customer_view"):
        catch_up(get_subscriber(name))

    assert OrderSummary.objects.get(id=order).total == Decimal("6.00")
    assert CustomerOrderTotal.objects.get(order_id=order).total == Decimal("6.00")
    assert CustomerView.objects.get(id=customer).total_spent == Decimal("6.00")

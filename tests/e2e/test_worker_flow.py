"""End to end with a real Celery worker process and Redis: HTTP command → event → task → read model."""

import pytest
from django.db import connection

from config.celery import app as celery_app
from eventstore.models import Checkpoint, Event
from eventstore.store import EventStore
from eventstore.subscriptions import registered_subscribers
from queries_app.models import OrderSummary
from tests.api.helpers import command, in_catalogue, new_id, place_order, register_customer, stock
from tests.conftest import wait_until

pytestmark = [pytest.mark.worker, pytest.mark.integration]


def all_checkpoints_at(position: int) -> bool:
    names = [s.name for s in registered_subscribers()]
    return Checkpoint.objects.filter(name__in=names, position__gte=position).count() == len(names)


def settled() -> bool:
    """Every subscriber is at the head, including what the saga's own commands wrote."""
    return all_checkpoints_at(EventStore().head())


def succeeded(worker, task_ids: list[str]) -> bool:
    log = worker.log_path.read_text()
    return all(f"[{task_id}] succeeded" in log for task_id in task_ids)


def test_a_commands_effect_reaches_the_read_model_through_the_worker(live_api):
    customer = register_customer(live_api)
    # In stock, so the worker's saga confirms the order rather than cancelling it before the
    # add-item below (an add-item on a confirmed order reopens it; on a cancelled one it is refused).
    stock(live_api, "WIDGET", 10)
    stock(live_api, "LAMP", 10, price="19.99")
    order = place_order(live_api, customer)
    response = command(live_api, "add-item", order_id=order, sku="LAMP", quantity=2, unit_price="19.99")
    position = response.json()["position"]

    wait_until(lambda: all_checkpoints_at(position), message="the projections to reach the command's position")
    body = live_api.get(f"/api/orders/{order}/").json()
    assert (body["item_count"], body["total"], body["customer_name"]) == (4, "59.96", "Ada Lovelace")


def test_the_same_wake_up_delivered_twice_changes_nothing(live_api, live_worker):
    order = place_order(live_api, register_customer(live_api))
    wait_until(settled, message="the first delivery, and the saga's cancellation (WIDGET has no stock)")
    head = EventStore().head()
    before = list(OrderSummary.objects.values_list("id", "item_count", "total", "version"))

    sent = [celery_app.send_task("eventstore.tasks.wake_subscribers", args=[p]).id for p in (head, head, None)]
    wait_until(lambda: succeeded(live_worker, sent), message="the worker to run the duplicates")

    assert list(OrderSummary.objects.values_list("id", "item_count", "total", "version")) == before
    assert OrderSummary.objects.get(id=order).item_count == 2


def test_events_written_without_any_wake_up_are_caught_up_by_the_beat_sweep(live_worker):
    # Rows inserted directly: no on-commit task is ever sent for them, as if the broker lost it.
    customer, order = new_id(), new_id()
    Event.objects.bulk_create(
        [
            Event(stream_type="Customer", stream_id=customer, version=1, event_type="CustomerRegistered",
                  data={"name": "Swept", "email": "swept@example.com"}),
            Event(stream_type="Order", stream_id=order, version=1, event_type="OrderPlaced",
                  data={"customer_id": customer, "lines": [{"sku": "A", "quantity": 1, "unit_price": "3.00"}]}),
        ]
    )  # fmt: skip
    summary = wait_until(lambda: OrderSummary.objects.filter(id=order).first(), message="the sweep")
    assert (summary.customer_name, str(summary.total)) == ("Swept", "3.00")
    assert connection.vendor == "postgresql"


def test_read_your_writes_200_times_in_a_row_against_a_real_worker(live_api):
    customer = register_customer(live_api)
    for n in range(200):
        items = [{"sku": f"A-{n}", "quantity": 1, "unit_price": f"{n}.25"}]
        in_catalogue(live_api, items)
        body = command(live_api, "place-order", customer_id=customer, items=items).json()
        read = live_api.get(f"/api/orders/{body['aggregate_id']}/?min_position={body['position']}")
        assert read.status_code == 200, (n, read.status_code, read.content)
        assert read.json()["total"] == f"{n}.25"

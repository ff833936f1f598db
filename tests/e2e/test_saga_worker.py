"""The saga in real worker processes: killed mid-way with SIGKILL, restarted, every order decided once."""

import os
import signal
import uuid
from collections import Counter

import pytest

from commands_app.domain.fulfilment import OUT_OF_STOCK
from eventstore.models import Checkpoint, Event
from eventstore.store import EventStore
from queries_app.models import OrderSummary, ProductStock
from tests.conftest import running_worker, wait_until
from tests.sagas.shop import customer, place, product

pytestmark = [pytest.mark.worker, pytest.mark.integration]

ORDERS = 300
A_ON_HAND = 200  # every order wants one A and one B: the last 100 find no A left


def decisions() -> Counter:
    """How many OrderConfirmed and OrderCancelled events the log holds."""
    return Counter(
        Event.objects.filter(event_type__in=["OrderConfirmed", "OrderCancelled"]).values_list("event_type", flat=True)
    )


def settled() -> bool:
    head = EventStore().head()
    return Checkpoint.objects.filter(position=head).count() == Checkpoint.objects.count() >= 4


def test_the_saga_survives_a_worker_killed_mid_way_and_finishes_exactly_once(live_db, tmp_path_factory):
    product("A", A_ON_HAND)
    product("B", 1000)
    ada = customer()
    orders = [place(ada, A=1, B=1) for _ in range(ORDERS)]  # their wake-ups wait in Redis for a worker
    workdir = tmp_path_factory.mktemp("worker")

    with running_worker(workdir) as worker:
        wait_until(lambda: sum(decisions().values()) > 0, timeout=60, interval=0.01, message="the saga under way")
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(10)

    killed_at = sum(decisions().values())
    assert 0 < killed_at < ORDERS  # it really died half-way

    with running_worker(workdir):
        wait_until(lambda: sum(decisions().values()) == ORDERS and settled(), timeout=180, message="all decided")

    # Exactly once: one decision per order, one reservation per order and product, nothing released twice.
    per_order = Counter(
        Event.objects.filter(event_type__in=["OrderConfirmed", "OrderCancelled"]).values_list("stream_id", flat=True)
    )
    assert set(per_order) == set(orders) and set(per_order.values()) == {1}
    assert decisions() == {"OrderConfirmed": A_ON_HAND, "OrderCancelled": ORDERS - A_ON_HAND}
    assert set(Event.objects.filter(event_type="OrderCancelled").values_list("data__reason", flat=True)) == {
        OUT_OF_STOCK
    }
    reservations = Counter(Event.objects.filter(event_type="StockReserved").values_list("stream_id", "data__order_id"))
    assert set(reservations.values()) == {1}
    # A is reserved first (sku order): an order refused A never held B, so nothing was released.
    assert len(reservations) == 2 * A_ON_HAND and not Event.objects.filter(event_type="StockReleased").exists()

    stock = {p.sku: (p.on_hand, p.reserved, p.available) for p in ProductStock.objects.all()}
    assert stock == {"A": (A_ON_HAND, A_ON_HAND, 0), "B": (1000, A_ON_HAND, 1000 - A_ON_HAND)}
    statuses = Counter(
        OrderSummary.objects.filter(id__in=[uuid.UUID(o) for o in orders]).values_list("status", flat=True)
    )
    assert statuses == {"confirmed": A_ON_HAND, "cancelled": ORDERS - A_ON_HAND}

"""Concurrent orders for the last units of a product never oversell (threads against PostgreSQL).

The guard is the product's stream version: two reservations decided on the same stock
cannot both be appended, and the loser is decided again on the newer stock (retry on conflict).
The same step sent at once by several senders lands once: the order's hold stream (written in
the same transaction) is at the version each of them loaded only for the first.
"""

import threading
import uuid
from collections import Counter

import pytest
from django.db import connection  # noqa: F401  read by the skipif conditions

from commands_app.domain import commands as c
from commands_app.domain.product import OutOfStock, Product, stock_hold_stream_id
from commands_app.wiring import command_bus
from eventstore.models import Event
from queries_app.models import ProductStock
from tests.api.helpers import project
from tests.sagas.shop import customer, held, place, product, run_saga, status, stock
from tests.threads import in_threads

pytestmark = [
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="needs PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]

THREADS = 8


def test_concurrent_reservations_for_the_last_units_never_oversell(settings):
    settings.COMMAND_RETRY_MAX_ATTEMPTS = 50  # every loser must get its answer from fresh stock, not give up
    product("LAST", 5)
    orders = [uuid.uuid4() for _ in range(THREADS * 2)]

    def reserve_two(n: int) -> str:
        for order in orders[2 * n : 2 * n + 2]:
            try:
                command_bus().dispatch(c.ReserveStock(sku="LAST", order_id=order, quantity=1))
            except OutOfStock:
                continue
        return "done"

    assert in_threads(reserve_two, THREADS) == ["done"] * THREADS

    last = stock("LAST")
    assert (last.on_hand, last.reserved, last.available) == (5, 5, 0)
    reserved = Event.objects.filter(stream_id="product:LAST", event_type="StockReserved")
    assert reserved.count() == 5 and len({e.data["order_id"] for e in reserved}) == 5


def test_the_same_reservation_sent_at_once_lands_once(settings, monkeypatch):
    settings.COMMAND_RETRY_MAX_ATTEMPTS = 50
    product("SAME", 100)
    order = uuid.uuid4()
    # Every sender decides on the same loaded state before any of them appends (first attempts only).
    decided, first_attempt, real_reserve = threading.Barrier(THREADS), threading.local(), Product.reserve

    def reserve_after_everyone_loaded(self, *args):
        if not getattr(first_attempt, "done", False):
            first_attempt.done = True
            decided.wait(30)
        return real_reserve(self, *args)

    monkeypatch.setattr(Product, "reserve", reserve_after_everyone_loaded)

    def reserve(n: int) -> list[str]:
        return command_bus().dispatch(c.ReserveStock(sku="SAME", order_id=order, quantity=3)).events

    results = in_threads(reserve, THREADS)
    assert sorted(map(len, results)) == [0] * (THREADS - 1) + [2], results
    assert (stock("SAME").reserved, held("SAME", str(order))) == (3, 3)
    hold_events = Event.objects.filter(stream_id=stock_hold_stream_id("SAME", order))
    assert list(hold_events.values_list("version", "data__held")) == [(1, 3)]


def test_orders_placed_at_once_for_the_last_units_confirm_exactly_as_many_as_there_are():
    product("LAST", 3)
    ada = customer()

    def place_and_fulfil(n: int) -> str:
        order = place(ada, LAST=1)
        run_saga()  # several saga runs at once: the checkpoint lock keeps them in turn
        return order

    orders = in_threads(place_and_fulfil, THREADS)
    assert all(isinstance(order, str) for order in orders), orders
    run_saga()
    project()

    statuses = Counter(status(order) for order in orders)
    assert statuses == {"confirmed": 3, "cancelled": THREADS - 3}
    view = ProductStock.objects.get(sku="LAST")
    assert (view.on_hand, view.reserved, view.available) == (3, 3, 0)

"""The order-fulfilment saga against PostgreSQL: reserve, confirm or cancel, release, ship; exactly once."""

import uuid
from decimal import Decimal

import pytest

from commands_app.domain import commands as c
from commands_app.domain.fulfilment import OUT_OF_STOCK
from commands_app.framework.errors import DomainError
from commands_app.wiring import command_bus
from eventstore.models import Checkpoint, Event
from eventstore.store import EventStore
from eventstore.subscriptions import get_subscriber
from tests.sagas.shop import (
    cancel_reason,
    customer,
    held,
    place,
    placed_before_the_catalogue_rule,
    product,
    run_saga,
    status,
    stock,
)

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

SAGA_USER = "saga:order-fulfilment"


def test_an_order_in_stock_is_reserved_then_confirmed():
    product("PEN", 10)
    product("INK", 3)
    order = place(customer(), PEN=4, INK=1)

    run_saga()

    assert status(order) == "confirmed"
    assert (stock("PEN").on_hand, stock("PEN").reserved, stock("PEN").available) == (10, 4, 6)
    assert held("INK", order) == 1


def test_every_event_it_causes_carries_the_customers_correlation_and_its_cause():
    product("PEN", 10)
    order = place(customer(), correlation_id="req-7", PEN=1)
    placed = Event.objects.get(stream_id=order, event_type="OrderPlaced")

    run_saga()

    caused = Event.objects.filter(position__gt=placed.position).order_by("position")
    # The reservation is two events in one transaction: the product's and the order's hold of it.
    assert [e.event_type for e in caused] == ["StockReserved", "StockHoldChanged", "OrderConfirmed"]
    for event in caused:
        assert event.metadata["correlation_id"] == "req-7"
        assert event.metadata["causation_id"] == str(placed.event_id)
        assert event.metadata["user"] == SAGA_USER
    assert [e.metadata["command"] for e in caused] == ["reserve-stock", "reserve-stock", "confirm-order"]


def test_a_sku_that_is_no_product_cancels_the_order_as_out_of_stock_and_releases_the_rest():
    product("PEN", 10)
    # Placing it is refused now (422, no product); an order placed before that rule still reaches the saga.
    with pytest.raises(DomainError, match="No product with sku 'ZZZ_UNKNOWN'"):
        place(customer(), PEN=2, ZZZ_UNKNOWN=1)
    order = placed_before_the_catalogue_rule(customer(), PEN=2, ZZZ_UNKNOWN=1)  # PEN is reserved first (sku order)

    run_saga()

    assert (status(order), cancel_reason(order)) == ("cancelled", OUT_OF_STOCK)
    assert stock("PEN").available == 10 and held("PEN", order) == 0
    pen_events = Event.objects.filter(stream_id="product:PEN").values_list("event_type", flat=True)
    assert list(pen_events)[-2:] == ["StockReserved", "StockReleased"]
    assert Checkpoint.objects.get(name="order_fulfilment").state == "running"  # a refusal is no poison


def test_not_enough_available_cancels_and_leaves_the_stock_as_it_was():
    product("PEN", 3)
    first = place(customer(), PEN=2)
    second = place(customer(), PEN=2)

    run_saga()

    assert (status(first), status(second), cancel_reason(second)) == ("confirmed", "cancelled", OUT_OF_STOCK)
    assert (stock("PEN").reserved, stock("PEN").available) == (2, 1)


def test_shipping_turns_the_reservation_into_a_deduction():
    product("PEN", 10)
    order = place(customer(), PEN=4)
    run_saga()

    command_bus().dispatch(c.ShipOrder(order_id=uuid.UUID(order)))
    run_saga()

    pen = stock("PEN")
    assert (pen.on_hand, pen.reserved, pen.available) == (6, 0, 6)
    assert Event.objects.filter(event_type="StockShipped").get().data == {"order_id": order, "quantity": 4, "held": 0}


def test_cancelling_a_confirmed_order_releases_its_stock():
    product("PEN", 10)
    order = place(customer(), PEN=4)
    run_saga()

    command_bus().dispatch(c.CancelOrder(order_id=uuid.UUID(order), reason="changed my mind"))
    run_saga()

    assert (stock("PEN").on_hand, stock("PEN").available) == (10, 10)
    assert cancel_reason(order) == "changed my mind"


def test_a_line_added_to_a_confirmed_order_is_reserved_before_it_is_confirmed_again():
    product("PEN", 10)
    product("INK", 10)
    order = place(customer(), PEN=4)
    run_saga()

    command_bus().dispatch(c.AddItem(order_id=uuid.UUID(order), sku="INK", quantity=2, unit_price=Decimal("2.50")))
    assert status(order) == "placed"  # not shippable until the new line's stock is held
    command_bus().dispatch(c.RemoveItem(order_id=uuid.UUID(order), sku="PEN"))
    run_saga()

    assert status(order) == "confirmed"
    assert (held("PEN", order), held("INK", order)) == (0, 2)


def test_a_reopened_order_is_reserved_and_confirmed_on_its_order_reopened():
    product("PEN", 10)
    product("INK", 10)
    order = place(customer(), PEN=4)
    run_saga()
    added = Event.objects.filter(stream_id=order).count() + 1

    command_bus().dispatch(c.AddItem(order_id=uuid.UUID(order), sku="INK", quantity=2, unit_price=Decimal("2.50")))
    written = Event.objects.filter(stream_id=order, version__gte=added).order_by("version")
    assert [e.event_type for e in written] == ["ItemAdded", "OrderReopened"]

    # The saga's step for OrderReopened alone (not the ItemAdded before it) brings the stock in line.
    reopened = EventStore().load(order)[-1]
    assert reopened.event_type == "OrderReopened"
    get_subscriber("order_fulfilment").handle(reopened)
    assert status(order) == "confirmed"
    assert (held("PEN", order), held("INK", order)) == (4, 2)

    before = Event.objects.count()
    run_saga()  # ItemAdded and OrderReopened again, in the log's order: nothing left to do
    assert Event.objects.count() == before


def test_an_empty_order_waits_for_lines():
    product("PEN", 10)
    order = place(customer())
    run_saga()
    assert status(order) == "placed"

    command_bus().dispatch(c.AddItem(order_id=uuid.UUID(order), sku="PEN", quantity=1, unit_price=Decimal("2.50")))
    run_saga()
    assert status(order) == "confirmed"


def test_replaying_the_sagas_whole_history_writes_nothing():
    product("PEN", 5)
    product("INK", 1)
    ada = customer()
    shipped, cancelled, confirmed = place(ada, PEN=1), place(ada, PEN=1, INK=1), place(ada, PEN=2)
    refused = place(ada, INK=5)
    changed = place(ada, PEN=1)
    run_saga()
    command_bus().dispatch(c.ShipOrder(order_id=uuid.UUID(shipped)))
    command_bus().dispatch(c.CancelOrder(order_id=uuid.UUID(cancelled), reason="no"))
    command_bus().dispatch(c.RemoveItem(order_id=uuid.UUID(changed), sku="PEN"))
    run_saga()
    before = list(Event.objects.values_list("position", flat=True))
    states = {o: status(o) for o in (shipped, cancelled, confirmed, refused, changed)}
    assert states == {
        shipped: "shipped", cancelled: "cancelled", confirmed: "confirmed", refused: "cancelled", changed: "placed"
    }  # fmt: skip

    # As if the checkpoint had been lost (it may live in another database than the commands).
    Checkpoint.objects.filter(name="order_fulfilment").update(position=0)
    run_saga(batch_size=3)

    assert list(Event.objects.values_list("position", flat=True)) == before
    assert (stock("PEN").on_hand, stock("PEN").reserved, stock("INK").reserved) == (4, 2, 0)


def test_a_step_that_died_half_way_finishes_without_doing_anything_twice():
    product("PEN", 10)
    product("INK", 10)
    order = place(customer(), PEN=4, INK=2)
    # The first command of the step went through, then the process died before the rest.
    command_bus().dispatch(c.ReserveStock(sku="INK", order_id=uuid.UUID(order), quantity=2))

    run_saga()

    assert status(order) == "confirmed"
    assert Event.objects.filter(event_type="StockReserved").count() == 2  # INK once, PEN once
    assert (stock("PEN").reserved, stock("INK").reserved) == (4, 2)


def test_an_order_changed_while_the_saga_decides_is_decided_again_on_the_new_state(monkeypatch):
    product("PEN", 10)
    order = place(customer(), PEN=4)
    real_send = type(command_bus()).dispatch
    interfered = []

    def customer_cancels_meanwhile(bus, command, context=None):
        if isinstance(command, c.ConfirmOrder) and not interfered:
            interfered.append(True)
            real_send(bus, c.CancelOrder(order_id=uuid.UUID(order), reason="too slow"))
        return real_send(bus, command, context)

    monkeypatch.setattr(type(command_bus()), "dispatch", customer_cancels_meanwhile)
    run_saga()

    assert (status(order), cancel_reason(order)) == ("cancelled", "too slow")
    assert stock("PEN").available == 10  # the step ran again on the cancelled order and released
    assert Event.objects.filter(stream_id=order, event_type="OrderConfirmed").count() == 0

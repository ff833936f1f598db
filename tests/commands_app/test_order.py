"""Order: given events, when a command, then new events or a domain error."""

import uuid
from decimal import Decimal

import pytest

from commands_app.domain.order import (
    ItemAdded,
    ItemRemoved,
    Order,
    OrderCancelled,
    OrderConfirmed,
    OrderLine,
    OrderPlaced,
    OrderShipped,
)
from commands_app.framework.errors import DomainError
from tests.commands_app.aggregate_testing import given, then

CUSTOMER = uuid.uuid4()
WIDGET = OrderLine("WIDGET", 2, Decimal("9.99"))
placed = OrderPlaced(customer_id=CUSTOMER, lines=(WIDGET,))
placed_empty = OrderPlaced(customer_id=CUSTOMER, lines=())


def test_place_order_raises_order_placed():
    order = given(Order)
    order.place(CUSTOMER, (WIDGET,))
    assert then(order) == [placed]
    assert order.status == "placed"


def test_add_a_new_sku():
    order = given(Order, placed)
    order.add_item("GADGET", 1, Decimal("5.00"))
    assert then(order) == [ItemAdded("GADGET", 1, Decimal("5.00"))]
    assert order.lines["GADGET"].quantity == 1


def test_add_an_existing_sku_at_the_same_price_adds_to_its_quantity():
    order = given(Order, placed)
    order.add_item("WIDGET", 3, Decimal("9.990"))
    assert then(order) == [ItemAdded("WIDGET", 3, Decimal("9.990"))]
    assert order.lines["WIDGET"].quantity == 5


def test_add_an_existing_sku_at_another_price_is_refused():
    order = given(Order, placed)
    with pytest.raises(DomainError, match="already on order"):
        order.add_item("WIDGET", 1, Decimal("10.00"))
    assert then(order) == []


def test_a_line_cannot_grow_past_the_quantity_limit():
    order = given(Order, OrderPlaced(CUSTOMER, (OrderLine("W", 999_999, Decimal("1")),)))
    with pytest.raises(DomainError, match="at most 1000000"):
        order.add_item("W", 2, Decimal("1"))


def test_remove_item_records_what_was_removed():
    order = given(Order, placed, ItemAdded("WIDGET", 1, Decimal("9.99")))
    order.remove_item("WIDGET")
    assert then(order) == [ItemRemoved("WIDGET", 3, Decimal("9.99"))]
    assert order.lines == {}


def test_remove_an_absent_sku_is_refused():
    with pytest.raises(DomainError, match="not on order"):
        given(Order, placed).remove_item("NOPE")


def test_confirm_a_placed_order():
    order = given(Order, placed)
    order.confirm()
    assert then(order) == [OrderConfirmed()]
    assert order.status == "confirmed"


def test_confirming_a_confirmed_order_again_changes_nothing():
    order = given(Order, placed, OrderConfirmed())
    order.confirm()
    assert then(order) == []


def test_an_empty_order_is_not_confirmed():
    with pytest.raises(DomainError, match="no items"):
        given(Order, placed_empty).confirm()


def test_ship_a_confirmed_order():
    order = given(Order, placed, OrderConfirmed())
    order.ship()
    assert then(order) == [OrderShipped()]


def test_a_placed_order_waits_for_its_stock_before_it_can_be_shipped():
    with pytest.raises(DomainError, match="only a confirmed order can be shipped"):
        given(Order, placed).ship()


@pytest.mark.parametrize(
    "change",
    [ItemAdded("INK", 1, Decimal("5.00")), ItemRemoved("WIDGET", 2, Decimal("9.99"))],
    ids=["add", "remove"],
)
def test_changing_a_confirmed_orders_lines_takes_it_back_to_placed(change):
    order = given(Order, placed, ItemAdded("GADGET", 1, Decimal("5.00")), OrderConfirmed(), change)
    assert order.status == "placed"
    with pytest.raises(DomainError, match="only a confirmed order"):
        order.ship()


def test_it_remembers_every_sku_it_ever_had():
    order = given(Order, placed, ItemAdded("GADGET", 1, Decimal("5.00")), ItemRemoved("WIDGET", 2, Decimal("9.99")))
    assert (set(order.lines), order.ordered_skus) == ({"GADGET"}, {"WIDGET", "GADGET"})


def test_cancel_a_confirmed_order():
    order = given(Order, placed, OrderConfirmed())
    order.cancel("changed my mind")
    assert then(order) == [OrderCancelled("changed my mind")]


def test_an_empty_order_cannot_be_shipped():
    with pytest.raises(DomainError, match="no items"):
        given(Order, placed_empty).ship()


def test_an_order_emptied_by_removal_cannot_be_shipped():
    with pytest.raises(DomainError, match="no items"):
        given(Order, placed, ItemRemoved("WIDGET", 2, Decimal("9.99"))).ship()


def test_cancel_a_placed_order():
    order = given(Order, placed)
    order.cancel("changed my mind")
    assert then(order) == [OrderCancelled("changed my mind")]


@pytest.mark.parametrize(
    "closing", [(OrderConfirmed(), OrderShipped()), (OrderCancelled("no"),)], ids=["shipped", "cancelled"]
)
@pytest.mark.parametrize(
    "action",
    [
        lambda o: o.add_item("X", 1, Decimal("1")),
        lambda o: o.remove_item("WIDGET"),
        lambda o: o.ship(),
        lambda o: o.cancel("again"),
        lambda o: o.confirm(),
    ],
    ids=["add", "remove", "ship", "cancel", "confirm"],
)
def test_nothing_changes_after_shipping_or_cancelling(closing, action):
    order = given(Order, placed, *closing)
    with pytest.raises(DomainError, match="can no longer change"):
        action(order)
    assert then(order) == []

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
    OrderReopened,
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
    assert then(order) == [ItemAdded("GADGET", 1, Decimal("5.00"), total=Decimal("24.98"))]
    assert order.lines["GADGET"].quantity == 1


def test_add_an_existing_sku_at_the_same_price_adds_to_its_quantity():
    order = given(Order, placed)
    order.add_item("WIDGET", 3, Decimal("9.990"))
    assert then(order) == [ItemAdded("WIDGET", 3, Decimal("9.990"), total=Decimal("49.95"))]
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
    order = given(Order, placed, ItemAdded("WIDGET", 1, Decimal("9.99"), total=Decimal("29.97")))
    order.remove_item("WIDGET")
    assert then(order) == [ItemRemoved("WIDGET", 3, Decimal("9.99"), total=Decimal("0"))]
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
    ("change", "event"),
    [
        (lambda o: o.add_item("INK", 1, Decimal("5.00")), ItemAdded("INK", 1, Decimal("5.00"), total=Decimal("29.98"))),
        (lambda o: o.remove_item("WIDGET"), ItemRemoved("WIDGET", 2, Decimal("9.99"), total=Decimal("5.00"))),
    ],
    ids=["add", "remove"],
)
def test_changing_a_confirmed_orders_lines_reopens_it(change, event):
    order = given(Order, placed, ItemAdded("GADGET", 1, Decimal("5.00"), total=Decimal("24.98")), OrderConfirmed())
    change(order)
    assert then(order) == [event, OrderReopened()]
    assert order.status == "placed"
    with pytest.raises(DomainError, match="only a confirmed order"):
        order.ship()


def test_changing_a_placed_orders_lines_reopens_nothing():
    order = given(Order, placed)
    order.add_item("INK", 1, Decimal("5.00"))
    assert [type(e) for e in then(order)] == [ItemAdded]


def test_the_status_moves_with_order_reopened_not_with_a_line_event():
    # The decision is the event's: a schema-2 line event alone leaves a confirmed order confirmed.
    order = given(Order, placed, OrderConfirmed(), ItemAdded("INK", 1, Decimal("5.00"), total=Decimal("24.98")))
    assert order.status == "confirmed"
    assert given(Order, placed, OrderConfirmed(), OrderReopened()).status == "placed"


@pytest.mark.parametrize(
    "change",
    [ItemAdded("INK", 1, Decimal("5.00"), total=None), ItemRemoved("WIDGET", 2, Decimal("9.99"), total=None)],
    ids=["add", "remove"],
)
def test_a_schema_1_line_change_of_a_confirmed_order_still_reopens_it(change):
    # Schema-1 rows (read with `total=None`) came with no OrderReopened: the change itself reopened.
    order = given(Order, placed, OrderConfirmed(), change)
    assert order.status == "placed"


def test_it_remembers_every_sku_it_ever_had():
    order = given(
        Order,
        placed,
        ItemAdded("GADGET", 1, Decimal("5.00"), total=Decimal("24.98")),
        ItemRemoved("WIDGET", 2, Decimal("9.99"), total=Decimal("5.00")),
    )
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
        given(Order, placed, ItemRemoved("WIDGET", 2, Decimal("9.99"), total=Decimal("0"))).ship()


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

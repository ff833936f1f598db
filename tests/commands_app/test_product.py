"""Product and StockHold: given events, when a command, then new events or a domain error.

A stock command changes two aggregates: the product (totals) and the order's hold of it.
`given_hold` builds the hold from its own events; `then` is read on both.
"""

import uuid
from decimal import Decimal

import pytest

from commands_app.domain.product import (
    OutOfStock,
    Product,
    ProductAdded,
    ProductRestocked,
    StockHold,
    StockHoldChanged,
    StockReleased,
    StockReserved,
    StockShipped,
    product_stream_id,
    stock_hold_stream_id,
)
from commands_app.domain.registry import domain_events
from commands_app.domain.upcasters import upcasters
from commands_app.framework.errors import DomainError
from tests.commands_app.aggregate_testing import given, then

ORDER, OTHER = uuid.uuid4(), uuid.uuid4()
added = ProductAdded(sku="PEN", name="A pen", price=Decimal("1.50"))
ten_on_hand = ProductRestocked(quantity=10)


def pen(*events: object) -> Product:
    return given(Product, added, ten_on_hand, *events, aggregate_id=product_stream_id("PEN"))


def hold(*held: int, order_id: uuid.UUID = ORDER) -> StockHold:
    """The order's hold of PEN after it held each of `held` in turn (none: no hold stream yet)."""
    events = [StockHoldChanged(sku="PEN", order_id=order_id, held=n) for n in held]
    return given(StockHold, *events, aggregate_id=stock_hold_stream_id("PEN", order_id))


def held(quantity: int, order_id: uuid.UUID = ORDER) -> list[StockHoldChanged]:
    return [StockHoldChanged(sku="PEN", order_id=order_id, held=quantity)]


def test_add_then_restock():
    product = given(Product)
    product.add("PEN", "A pen", Decimal("1.50"))
    product.restock(10)
    assert then(product) == [added, ten_on_hand]
    assert (product.on_hand, product.reserved, product.available) == (10, 0, 10)


def test_restock_past_the_limit_is_refused():
    with pytest.raises(DomainError, match="limit"):
        given(Product, added, ProductRestocked(quantity=999_999_999)).restock(2)


def test_a_reservation_holds_units_for_an_order():
    product, order_hold = pen(), hold()
    product.reserve(ORDER, 4, order_hold)
    assert then(product) == [StockReserved(order_id=ORDER, quantity=4, held=4)]
    assert then(order_hold) == held(4)
    assert (product.on_hand, product.reserved, product.available) == (10, 4, 6)
    assert product.held_for(ORDER, order_hold) == 4


def test_reserving_again_what_the_order_holds_changes_nothing():
    product, order_hold = pen(StockReserved(order_id=ORDER, quantity=4, held=4)), hold(4)
    product.reserve(ORDER, 4, order_hold)
    assert then(product) == [] and then(order_hold) == []


def test_a_reservation_grows_or_shrinks_to_the_asked_quantity():
    grow, grow_hold = pen(StockReserved(order_id=ORDER, quantity=4, held=4)), hold(4)
    grow.reserve(ORDER, 6, grow_hold)
    assert then(grow) == [StockReserved(order_id=ORDER, quantity=2, held=6)] and then(grow_hold) == held(6)
    shrink, shrink_hold = pen(StockReserved(order_id=ORDER, quantity=4, held=4)), hold(4)
    shrink.reserve(ORDER, 1, shrink_hold)
    assert then(shrink) == [StockReleased(order_id=ORDER, quantity=3, held=1)] and then(shrink_hold) == held(1)


def test_more_than_is_available_is_refused_and_nothing_changes():
    product, order_hold = pen(StockReserved(order_id=OTHER, quantity=8, held=8)), hold()
    with pytest.raises(OutOfStock, match="2 units available"):
        product.reserve(ORDER, 3, order_hold)
    assert then(product) == [] and then(order_hold) == [] and product.available == 2


def test_release_frees_what_the_order_held_and_twice_is_no_change():
    product, order_hold = pen(StockReserved(order_id=ORDER, quantity=4, held=4)), hold(4)
    product.release(ORDER, order_hold)
    product.release(ORDER, order_hold)
    assert then(product) == [StockReleased(order_id=ORDER, quantity=4, held=0)]
    assert then(order_hold) == held(0) and product.available == 10


def test_releasing_what_was_never_held_writes_nothing_not_even_a_hold_stream():
    product, order_hold = pen(), hold()
    product.release(ORDER, order_hold)
    product.ship_reserved(ORDER, order_hold)
    assert then(product) == [] and then(order_hold) == [] and not order_hold.exists


def test_shipping_takes_the_reservation_out_of_stock_once():
    product, order_hold = pen(StockReserved(order_id=ORDER, quantity=4, held=4)), hold(4)
    product.ship_reserved(ORDER, order_hold)
    product.ship_reserved(ORDER, order_hold)
    product.release(ORDER, order_hold)  # shipped: nothing is held any more
    assert then(product) == [StockShipped(order_id=ORDER, quantity=4, held=0)]
    assert then(order_hold) == held(0)
    assert (product.on_hand, product.reserved, product.available) == (6, 0, 6)


def test_another_orders_or_products_hold_is_refused():
    with pytest.raises(ValueError, match="not the hold"):
        pen().reserve(ORDER, 1, hold(order_id=OTHER))


def test_the_state_is_totals_whatever_the_number_of_open_orders():
    orders = [uuid.uuid4() for _ in range(1_000)]
    product = pen(ProductRestocked(quantity=5_000), *[StockReserved(order_id=o, quantity=2, held=2) for o in orders])
    assert (product.reserved, product.available, product.legacy_holds) == (2_000, 3_010, {})
    assert product.snapshot_state() == {
        "sku": "PEN", "name": "A pen", "price": "1.50", "on_hand": 5_010, "reserved": 2_000,
        "discontinued": False, "legacy_holds": {}
    }  # fmt: skip


def test_snapshot_round_trip():
    product = pen(StockReserved(order_id=ORDER, quantity=4, held=4))
    restored = Product.from_snapshot(product.id, product.version, product.snapshot_state())
    assert vars(restored) == vars(product)
    order_hold = hold(4, 1)
    assert vars(StockHold.from_snapshot(order_hold.id, 2, order_hold.snapshot_state())) == vars(order_hold)


# Product streams written before holds had streams of their own: schema-1 stock events, as stored.


def stored(event_type: str, data: dict, schema_version: int = 1) -> object:
    """An event as the store hands it over: upcast from the schema it was written with."""
    _, data = upcasters.upcast(event_type, schema_version, data)
    return domain_events.deserialize(event_type, data)


def legacy(event_type: str, order_id: uuid.UUID, quantity: int) -> object:
    return stored(event_type, {"order_id": str(order_id), "quantity": quantity})


def test_schema_1_stock_events_read_with_held_unknown():
    assert legacy("StockReserved", ORDER, 4) == StockReserved(order_id=ORDER, quantity=4, held=None)
    assert upcasters.latest_version("StockShipped") == StockShipped.schema_version == 2


def test_holds_recorded_by_schema_1_events_still_decide():
    product = pen(
        legacy("StockReserved", ORDER, 3),
        legacy("StockReserved", OTHER, 2),
        legacy("StockReserved", ORDER, 1),
        legacy("StockReleased", OTHER, 2),
    )
    assert (product.reserved, product.available, product.legacy_holds) == (4, 6, {str(ORDER): 4})

    no_hold_stream = hold()
    product.reserve(ORDER, 4, no_hold_stream)  # what it already holds: nothing new
    assert then(product) == [] and then(no_hold_stream) == []
    product.release(OTHER, hold(order_id=OTHER))  # released before the change: nothing held
    assert then(product) == []
    with pytest.raises(OutOfStock, match="6 units available"):
        product.reserve(ORDER, 11, no_hold_stream)


def test_a_legacy_hold_moves_to_its_own_stream_when_it_next_changes():
    product = pen(legacy("StockReserved", ORDER, 4), legacy("StockReserved", OTHER, 1))
    order_hold = hold()
    product.reserve(ORDER, 6, order_hold)
    assert then(product) == [StockReserved(order_id=ORDER, quantity=2, held=6)]
    assert then(order_hold) == held(6)  # the whole hold, not the change: the stream stands alone
    assert (product.reserved, product.legacy_holds) == (7, {str(OTHER): 1})

    order_hold.mark_saved(1)
    product.ship_reserved(ORDER, order_hold)
    assert (product.on_hand, product.reserved, product.held_for(ORDER, order_hold)) == (4, 1, 0)
    shipped_legacy = pen(legacy("StockReserved", OTHER, 1))
    shipped_legacy.ship_reserved(OTHER, hold(order_id=OTHER))
    assert then(shipped_legacy)[-1] == StockShipped(order_id=OTHER, quantity=1, held=0)
    assert (shipped_legacy.on_hand, shipped_legacy.reserved, shipped_legacy.legacy_holds) == (9, 0, {})


def test_a_schema_1_shipment_leaves_the_legacy_holds():
    product = pen(legacy("StockReserved", ORDER, 4), legacy("StockShipped", ORDER, 4))
    assert (product.on_hand, product.reserved, product.legacy_holds) == (6, 0, {})

"""Product: given events, when a command, then new events or a domain error."""

import uuid
from decimal import Decimal

import pytest

from commands_app.domain.product import (
    OutOfStock,
    Product,
    ProductAdded,
    ProductRestocked,
    StockReleased,
    StockReserved,
    StockShipped,
)
from commands_app.framework.errors import DomainError
from tests.commands_app.aggregate_testing import given, then

ORDER, OTHER = uuid.uuid4(), uuid.uuid4()
added = ProductAdded(sku="PEN", name="A pen", price=Decimal("1.50"))
ten_on_hand = ProductRestocked(quantity=10)


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
    product = given(Product, added, ten_on_hand)
    product.reserve(ORDER, 4)
    assert then(product) == [StockReserved(order_id=ORDER, quantity=4)]
    assert (product.on_hand, product.reserved, product.available) == (10, 4, 6)


def test_reserving_again_what_the_order_holds_changes_nothing():
    product = given(Product, added, ten_on_hand, StockReserved(order_id=ORDER, quantity=4))
    product.reserve(ORDER, 4)
    assert then(product) == []


def test_a_reservation_grows_or_shrinks_to_the_asked_quantity():
    grow = given(Product, added, ten_on_hand, StockReserved(order_id=ORDER, quantity=4))
    grow.reserve(ORDER, 6)
    assert then(grow) == [StockReserved(order_id=ORDER, quantity=2)]
    shrink = given(Product, added, ten_on_hand, StockReserved(order_id=ORDER, quantity=4))
    shrink.reserve(ORDER, 1)
    assert then(shrink) == [StockReleased(order_id=ORDER, quantity=3)]


def test_more_than_is_available_is_refused_and_nothing_changes():
    product = given(Product, added, ten_on_hand, StockReserved(order_id=OTHER, quantity=8))
    with pytest.raises(OutOfStock, match="2 units available"):
        product.reserve(ORDER, 3)
    assert then(product) == [] and product.available == 2


def test_release_frees_what_the_order_held_and_twice_is_no_change():
    product = given(Product, added, ten_on_hand, StockReserved(order_id=ORDER, quantity=4))
    product.release(ORDER)
    product.release(ORDER)
    assert then(product) == [StockReleased(order_id=ORDER, quantity=4)]
    assert product.available == 10


def test_shipping_takes_the_reservation_out_of_stock_once():
    product = given(Product, added, ten_on_hand, StockReserved(order_id=ORDER, quantity=4))
    product.ship_reserved(ORDER)
    product.ship_reserved(ORDER)
    product.release(ORDER)  # shipped: nothing is held any more
    assert then(product) == [StockShipped(order_id=ORDER, quantity=4)]
    assert (product.on_hand, product.reserved, product.available) == (6, 0, 6)


def test_snapshot_round_trip():
    product = given(Product, added, ten_on_hand, StockReserved(order_id=ORDER, quantity=4))
    restored = Product.from_snapshot(product.id, product.version, product.snapshot_state())
    assert vars(restored) == vars(product)

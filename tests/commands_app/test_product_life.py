"""A product's whole life: its price, name, discontinuation and write-offs; the price a new line takes.

Given events, when a command, then new events or a domain error (422). A command that changes
nothing raises no event (the bus then answers 200 with the current version).
"""

import uuid
from decimal import Decimal

import pytest

from commands_app.domain.product import (
    PriceMismatch,
    Product,
    ProductAdded,
    ProductDiscontinued,
    ProductDiscontinuedError,
    ProductPriceChanged,
    ProductRenamed,
    ProductRestocked,
    StockHold,
    StockReserved,
    StockWrittenOff,
    product_stream_id,
    stock_hold_stream_id,
)
from commands_app.framework.errors import DomainError
from tests.commands_app.aggregate_testing import given, then

ORDER = uuid.uuid4()
added = ProductAdded(sku="PEN", name="A pen", price=Decimal("1.50"))


def pen(*events: object) -> Product:
    return given(Product, added, *events, aggregate_id=product_stream_id("PEN"))


def test_a_new_price_is_recorded_with_the_one_it_replaces():
    product = pen()
    product.change_price(Decimal("2.00"))
    assert then(product) == [ProductPriceChanged(price=Decimal("2.00"), previous_price=Decimal("1.50"))]
    assert product.price == Decimal("2.00")


def test_the_same_price_again_is_no_change():
    product = pen()
    product.change_price(Decimal("1.5"))  # the same amount, written otherwise
    assert then(product) == []


def test_rename_and_the_same_name_again():
    product = pen()
    product.rename("A fountain pen")
    product.rename("A fountain pen")
    assert then(product) == [ProductRenamed(name="A fountain pen")]


def test_discontinue_once():
    product = pen()
    product.discontinue()
    product.discontinue()
    assert then(product) == [ProductDiscontinued()] and product.discontinued


def test_a_new_line_takes_the_catalogue_price():
    assert pen().line_price(None) == Decimal("1.50")
    assert pen().line_price(Decimal("1.5")) == Decimal("1.50")


def test_a_line_at_another_price_is_refused_naming_both():
    with pytest.raises(PriceMismatch, match=r"costs 1\.50; the line asked for 0\.00"):
        pen().line_price(Decimal("0.00"))


def test_a_line_after_a_price_change_takes_the_new_price():
    product = pen(ProductPriceChanged(price=Decimal("2.00"), previous_price=Decimal("1.50")))
    assert product.line_price(None) == Decimal("2.00")
    with pytest.raises(PriceMismatch):
        product.line_price(Decimal("1.50"))


def test_a_discontinued_product_takes_no_new_line():
    with pytest.raises(ProductDiscontinuedError, match="discontinued"):
        pen(ProductDiscontinued()).line_price(None)


def test_a_discontinued_product_still_honours_reservations():
    product = given(
        Product, added, ProductRestocked(quantity=5), ProductDiscontinued(), aggregate_id=product_stream_id("PEN")
    )
    product.reserve(ORDER, 2, StockHold(stock_hold_stream_id("PEN", ORDER)))  # no hold stream yet
    assert [type(e) for e in then(product)] == [StockReserved] and product.available == 3


def test_write_off_takes_units_off_hand_with_the_reason():
    product = pen(ProductRestocked(quantity=10))
    product.write_off(3, "dropped")
    assert then(product) == [StockWrittenOff(quantity=3, reason="dropped")]
    assert (product.on_hand, product.available) == (7, 7)


def test_write_off_never_takes_reserved_units():
    product = pen(ProductRestocked(quantity=10), StockReserved(order_id=ORDER, quantity=8, held=8))
    product.write_off(2, "water damage")  # exactly what is not reserved
    with pytest.raises(DomainError, match="at most 0 can be written off, not 1"):
        product.write_off(1, "more damage")
    assert (product.on_hand, product.reserved) == (8, 8)


def test_snapshot_round_trip_keeps_discontinued():
    product = pen(ProductDiscontinued())
    restored = Product.from_snapshot(product.id, product.version, product.snapshot_state())
    assert vars(restored) == vars(product)


def test_a_snapshot_from_before_discontinuing_existed_reads_as_on_sale():
    state = pen().snapshot_state()
    del state["discontinued"]
    assert Product.from_snapshot(product_stream_id("PEN"), 1, state).discontinued is False

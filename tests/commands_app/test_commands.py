"""Commands check the rules they can check alone, and carry their type name."""

import uuid
from decimal import Decimal

import pytest

from commands_app.domain import commands as c
from commands_app.domain.order import OrderLine
from commands_app.framework.errors import CommandInvalid

ORDER = uuid.uuid4()


def test_command_type_is_the_kebab_case_class_name():
    assert c.PlaceOrder.command_type() == "place-order"
    assert c.RegisterCustomer.command_type() == "register-customer"


def test_aggregate_id_names_the_target():
    assert c.ShipOrder(order_id=ORDER).aggregate_id() == str(ORDER)


def test_commands_are_immutable():
    command = c.ShipOrder(order_id=ORDER)
    with pytest.raises(AttributeError):
        command.order_id = uuid.uuid4()


@pytest.mark.parametrize(
    ("command", "field"),
    [
        (c.AddItem(order_id=ORDER, sku="A", quantity=0, unit_price=Decimal("1")), "quantity"),
        (c.AddItem(order_id=ORDER, sku="A", quantity=1_000_001, unit_price=Decimal("1")), "quantity"),
        (c.AddItem(order_id=ORDER, sku="A", quantity=True, unit_price=Decimal("1")), "quantity"),
        (c.AddItem(order_id=ORDER, sku="A", quantity=1, unit_price=Decimal("-0.01")), "unit_price"),
        (c.AddItem(order_id=ORDER, sku="A", quantity=1, unit_price=Decimal("1000000.01")), "unit_price"),
        (c.AddItem(order_id=ORDER, sku="A", quantity=1, unit_price=Decimal("1.001")), "unit_price"),
        (c.AddItem(order_id=ORDER, sku="A", quantity=1, unit_price=Decimal("NaN")), "unit_price"),
        (c.AddItem(order_id=ORDER, sku="", quantity=1, unit_price=Decimal("1")), "sku"),
        (c.AddItem(order_id=ORDER, sku="x" * 65, quantity=1, unit_price=Decimal("1")), "sku"),
        (c.AddItem(order_id="not-a-uuid", sku="A", quantity=1, unit_price=Decimal("1")), "order_id"),  # type: ignore[arg-type]
        (c.RegisterCustomer(name="Ada", email="not-an-email"), "email"),
        (c.RegisterCustomer(name="  ", email="ada@example.com"), "name"),
        (c.UpdateCustomer(customer_id=ORDER), "non_field_errors"),
        (c.CancelOrder(order_id=ORDER, reason=""), "reason"),
        (c.ShipOrder(order_id=ORDER, expected_version=-1), "expected_version"),
        (
            c.PlaceOrder(customer_id=ORDER, items=(OrderLine("A", 1, Decimal("1")), OrderLine("A", 2, Decimal("1")))),
            "items",
        ),
        (c.PlaceOrder(customer_id=ORDER, items=(OrderLine("A", 0, Decimal("1")),)), "items[0].quantity"),
    ],
)
def test_invalid_commands_name_the_field(command, field):
    with pytest.raises(CommandInvalid) as error:
        command.validate()
    assert field in error.value.errors


@pytest.mark.parametrize(
    "command",
    [
        c.AddItem(order_id=ORDER, sku="A", quantity=1_000_000, unit_price=Decimal("1000000.00")),
        c.AddItem(order_id=ORDER, sku="A", quantity=1, unit_price=Decimal("0")),
        c.PlaceOrder(customer_id=ORDER),
        c.UpdateCustomer(customer_id=ORDER, email="ada@example.com"),
    ],
)
def test_valid_commands_pass(command):
    command.validate()


def test_text_with_nul_characters_is_refused_before_it_reaches_the_database():
    with pytest.raises(CommandInvalid) as error:
        c.CancelOrder(order_id=ORDER, reason="ok\x00no").validate()
    assert "reason" in error.value.errors

"""One input serializer per command: it parses JSON into the command, so the schema documents it.

Serializers only parse and type-check; the command's own `validate()` (run by the bus)
is where its rules live. Both use the limits in `commands_app.domain.limits`.
"""

import inspect
from typing import Any, ClassVar

from django.core.validators import RegexValidator
from rest_framework import serializers

from api.serializers import BoundedListField, MoneyField, StrictCharField, StrictIntegerField, StrictSerializer
from commands_app.domain import commands as c
from commands_app.domain import limits
from commands_app.framework.commands import Command


def money_field(**kwargs: Any) -> MoneyField:
    return MoneyField(
        max_digits=7 + limits.PRICE_DECIMAL_PLACES,
        decimal_places=limits.PRICE_DECIMAL_PLACES,
        min_value=limits.MIN_PRICE,
        max_value=limits.MAX_PRICE,
        **{
            "help_text": 'A decimal as a string ("12.50"), so it stays exact: 0 to 1000000, '
            "at most two decimal places.",
            "pattern": f"^{limits.PRICE_PATTERN}$",
            "example": "1.50",
            **kwargs,
        },
    )


def unit_price_field() -> MoneyField:
    return money_field(
        required=False,
        help_text="Optional: the line takes the product's catalogue price. When given it must be that price "
        '(a decimal string, "12.50"), or the command is refused with 422 naming both prices.',
    )


def quantity_field() -> StrictIntegerField:
    return StrictIntegerField(min_value=1, max_value=limits.MAX_QUANTITY)


def sku_field() -> StrictCharField:
    """A product's sku: the one rule (`limits.SKU_RULE`), which the schema states as a pattern."""
    return StrictCharField(
        max_length=limits.MAX_SKU_LENGTH,
        validators=[RegexValidator(f"^{limits.SKU_PATTERN.pattern}$", f"Must be {limits.SKU_RULE}")],
        help_text=limits.SKU_RULE,
    )


def expected_version_field() -> StrictIntegerField:
    return StrictIntegerField(
        required=False,
        min_value=0,
        max_value=2**31 - 1,
        help_text="Fail with 409 unless the aggregate is at exactly this version.",
    )


class CommandSerializer(StrictSerializer):
    """Base for command input: `to_command()` builds the immutable command."""

    command_class: ClassVar[type[Command]]

    @classmethod
    def schema_description(cls) -> str:
        """The request body's description in the schema: the command's own docstring (its first
        line), then this serializer's own, if either is written; never this base class's text.
        """
        command_class = cls.command_class
        parts = []
        # A dataclass without a docstring gets a generated one ("PlaceOrder(*, command_id=…)").
        command_doc = inspect.getdoc(command_class) if "__doc__" in vars(command_class) else None
        if command_doc and not command_doc.startswith(f"{command_class.__name__}("):
            parts.append(command_doc.splitlines()[0])
        own = vars(cls).get("__doc__")
        if own:
            parts.append(inspect.cleandoc(own))
        return "\n\n".join(parts) or f"The body of the `{command_class.command_type()}` command."

    def to_command(self) -> Command:
        return self.command_class(**self.validated_data)


class RegisterCustomerSerializer(CommandSerializer):
    """A new customer: a name and an email no other customer has (409 if one does)."""

    command_class = c.RegisterCustomer
    customer_id = serializers.UUIDField(required=False, help_text="Generated when absent.")
    name = StrictCharField(max_length=limits.MAX_NAME_LENGTH)
    email = serializers.EmailField(max_length=limits.MAX_EMAIL_LENGTH)


class ForgetCustomerSerializer(CommandSerializer):
    """Needs `commands_app.forget_subjects`; `send_commands` does not grant it."""

    command_class = c.ForgetCustomer
    required_permission = "commands_app.forget_subjects"
    customer_id = serializers.UUIDField()


class UpdateCustomerSerializer(CommandSerializer):
    """A customer's new name, new email, or both; the email must be no other customer's."""

    command_class = c.UpdateCustomer
    customer_id = serializers.UUIDField()
    name = StrictCharField(max_length=limits.MAX_NAME_LENGTH, required=False)
    email = serializers.EmailField(max_length=limits.MAX_EMAIL_LENGTH, required=False)
    expected_version = expected_version_field()

    def validate(self, attrs: dict) -> dict:
        if "name" not in attrs and "email" not in attrs:
            raise serializers.ValidationError("Give a new name, a new email, or both.")
        return attrs


class OrderLineSerializer(StrictSerializer):
    """One line of a new order: a product and how many; `unit_price`, when given, must be its price."""

    sku = sku_field()
    quantity = quantity_field()
    unit_price = unit_price_field()


class PlaceOrderSerializer(CommandSerializer):
    """A new order for a customer, with its lines; the saga then reserves its stock and confirms it, or cancels it."""

    command_class = c.PlaceOrder
    order_id = serializers.UUIDField(required=False, help_text="Generated when absent.")
    customer_id = serializers.UUIDField()
    items = BoundedListField(child=OrderLineSerializer(), max_length=limits.MAX_LINES_PER_ORDER, default=list)

    def to_command(self) -> Command:
        data = dict(self.validated_data)
        data["items"] = tuple(c.RequestedLine(**line) for line in data.get("items", []))
        return self.command_class(**data)


class AddItemSerializer(CommandSerializer):
    """More units of a product on an open order: a new line, or more on its line at the same price."""

    command_class = c.AddItem
    order_id = serializers.UUIDField()
    sku = sku_field()
    quantity = quantity_field()
    unit_price = unit_price_field()
    expected_version = expected_version_field()


class RemoveItemSerializer(CommandSerializer):
    """Take a product's line off an open order."""

    command_class = c.RemoveItem
    order_id = serializers.UUIDField()
    # Any sku on the order, including one placed before the sku rule: removing must stay possible.
    sku = StrictCharField(max_length=limits.MAX_SKU_LENGTH)
    expected_version = expected_version_field()


class ShipOrderSerializer(CommandSerializer):
    """Ship an order once it is confirmed (its stock reserved); an empty or pending one is a 422."""

    command_class = c.ShipOrder
    order_id = serializers.UUIDField()
    expected_version = expected_version_field()


class CancelOrderSerializer(CommandSerializer):
    """Cancel an order not yet shipped or cancelled, with the reason; the saga releases its reserved stock."""

    command_class = c.CancelOrder
    order_id = serializers.UUIDField()
    reason = StrictCharField(max_length=limits.MAX_REASON_LENGTH)
    expected_version = expected_version_field()


class AddProductSerializer(CommandSerializer):
    command_class = c.AddProduct
    sku = sku_field()
    name = StrictCharField(max_length=limits.MAX_NAME_LENGTH)
    price = money_field()


class RestockProductSerializer(CommandSerializer):
    command_class = c.RestockProduct
    sku = sku_field()
    quantity = quantity_field()
    expected_version = expected_version_field()


class ChangeProductPriceSerializer(CommandSerializer):
    command_class = c.ChangeProductPrice
    sku = sku_field()
    price = money_field()
    expected_version = expected_version_field()


class RenameProductSerializer(CommandSerializer):
    command_class = c.RenameProduct
    sku = sku_field()
    name = StrictCharField(max_length=limits.MAX_NAME_LENGTH)
    expected_version = expected_version_field()


class DiscontinueProductSerializer(CommandSerializer):
    command_class = c.DiscontinueProduct
    sku = sku_field()
    expected_version = expected_version_field()


class WriteOffStockSerializer(CommandSerializer):
    command_class = c.WriteOffStock
    sku = sku_field()
    quantity = quantity_field()
    reason = StrictCharField(max_length=limits.MAX_REASON_LENGTH, help_text="Why the units left (recorded).")
    expected_version = expected_version_field()


COMMAND_SERIALIZERS: list[type[CommandSerializer]] = [
    RegisterCustomerSerializer,
    UpdateCustomerSerializer,
    ForgetCustomerSerializer,
    PlaceOrderSerializer,
    AddItemSerializer,
    RemoveItemSerializer,
    ShipOrderSerializer,
    CancelOrderSerializer,
    AddProductSerializer,
    RestockProductSerializer,
    ChangeProductPriceSerializer,
    RenameProductSerializer,
    DiscontinueProductSerializer,
    WriteOffStockSerializer,
]


class CommandResultSerializer(serializers.Serializer):
    """The success body of every command."""

    aggregate_id = serializers.CharField()
    version = serializers.IntegerField()
    position = serializers.IntegerField()
    events = serializers.ListField(child=serializers.CharField())

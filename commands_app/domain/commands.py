"""The domain's commands. Each checks the rules it can check alone (input errors, 400)."""

import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import ClassVar

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from commands_app.domain import limits
from commands_app.domain.order import OrderLine
from commands_app.domain.product import product_stream_id
from commands_app.framework.commands import Command, FieldErrors


def check_uuid(errors: FieldErrors, field_name: str, value: object) -> None:
    errors.check(isinstance(value, uuid.UUID), field_name, "Must be a valid UUID.")


def check_text(errors: FieldErrors, field_name: str, value: object, max_length: int) -> None:
    text = value if isinstance(value, str) else ""
    if errors.check(text.strip() != "", field_name, "May not be blank."):
        errors.check(len(text) <= max_length, field_name, f"At most {max_length} characters.")
        # PostgreSQL cannot store NUL in text; refuse it here rather than fail in the database.
        errors.check("\x00" not in text, field_name, "May not contain NUL characters.")


def check_sku(errors: FieldErrors, field_name: str, value: object) -> None:
    """A sku a product may have (`limits.SKU_RULE`), so it can be looked up by URL as it is."""
    errors.check(
        isinstance(value, str)
        and len(value) <= limits.MAX_SKU_LENGTH
        and limits.SKU_PATTERN.fullmatch(value) is not None,
        field_name,
        f"Must be {limits.SKU_RULE}",
    )


def check_email(errors: FieldErrors, field_name: str, value: object) -> None:
    if not isinstance(value, str) or len(value) > limits.MAX_EMAIL_LENGTH:
        errors.add(field_name, "Must be an email address.")
        return
    try:
        validate_email(value)
    except ValidationError:
        errors.add(field_name, "Must be a valid email address.")


def check_quantity(errors: FieldErrors, field_name: str, value: object) -> None:
    errors.check(
        isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= limits.MAX_QUANTITY,
        field_name,
        f"Must be a whole number from 1 to {limits.MAX_QUANTITY:,}.",
    )


def check_price(errors: FieldErrors, field_name: str, value: object) -> None:
    valid = (
        isinstance(value, Decimal)
        and value.is_finite()
        and limits.MIN_PRICE <= value <= limits.MAX_PRICE
        and isinstance(exponent := value.as_tuple().exponent, int)  # finite, so never 'n'/'N'/'F'
        and -exponent <= limits.PRICE_DECIMAL_PLACES
    )
    errors.check(
        valid,
        field_name,
        f"Must be a decimal from {limits.MIN_PRICE} to {limits.MAX_PRICE:,} "
        f"with at most {limits.PRICE_DECIMAL_PLACES} decimal places.",
    )


@dataclass(frozen=True)
class RequestedLine:
    """An order line as a client asks for it. The price is the catalogue's (the handler reads the
    product): `unit_price`, when given, must be that price, or the command is refused (422)."""

    sku: str
    quantity: int
    unit_price: Decimal | None = None


def check_line(errors: FieldErrors, prefix: str, line: object) -> None:
    if not isinstance(line, OrderLine | RequestedLine):
        errors.add(prefix, "Must be an order line.")
        return
    check_sku(errors, f"{prefix}.sku", line.sku)
    check_quantity(errors, f"{prefix}.quantity", line.quantity)
    if line.unit_price is not None:
        check_price(errors, f"{prefix}.unit_price", line.unit_price)


@dataclass(frozen=True, kw_only=True)
class RegisterCustomer(Command):
    customer_id: uuid.UUID = field(default_factory=uuid.uuid4)
    name: str
    email: str

    def aggregate_id(self) -> str:
        return str(self.customer_id)

    def check(self, errors: FieldErrors) -> None:
        check_uuid(errors, "customer_id", self.customer_id)
        check_text(errors, "name", self.name, limits.MAX_NAME_LENGTH)
        check_email(errors, "email", self.email)


@dataclass(frozen=True, kw_only=True)
class UpdateCustomer(Command):
    # Without an expected_version the sender asked for "these values now": last writer wins.
    retry_on_conflict: ClassVar[bool] = True

    customer_id: uuid.UUID
    name: str | None = None
    email: str | None = None

    def aggregate_id(self) -> str:
        return str(self.customer_id)

    def check(self, errors: FieldErrors) -> None:
        check_uuid(errors, "customer_id", self.customer_id)
        if self.name is None and self.email is None:
            errors.add("non_field_errors", "Give a new name, a new email, or both.")
        if self.name is not None:
            check_text(errors, "name", self.name, limits.MAX_NAME_LENGTH)
        if self.email is not None:
            check_email(errors, "email", self.email)


@dataclass(frozen=True, kw_only=True)
class ForgetCustomer(Command):
    """Erase a customer's personal data (GDPR art. 17): their key is destroyed, their orders stay."""

    customer_id: uuid.UUID

    def aggregate_id(self) -> str:
        return str(self.customer_id)

    def check(self, errors: FieldErrors) -> None:
        check_uuid(errors, "customer_id", self.customer_id)


@dataclass(frozen=True, kw_only=True)
class OrderCommand(Command):
    """A command on one order's stream: keyed by `order_id`, which must be a UUID.

    Subclasses add their own fields after `order_id` and call `super().check(errors)` first,
    so the order's id is checked (and reported) before anything else.
    """

    order_id: uuid.UUID

    def aggregate_id(self) -> str:
        return str(self.order_id)

    def check(self, errors: FieldErrors) -> None:
        check_uuid(errors, "order_id", self.order_id)


@dataclass(frozen=True, kw_only=True)
class PlaceOrder(OrderCommand):
    order_id: uuid.UUID = field(default_factory=uuid.uuid4)  # the base's field, with a default: same place
    customer_id: uuid.UUID
    items: tuple[RequestedLine | OrderLine, ...] = ()

    def check(self, errors: FieldErrors) -> None:
        super().check(errors)
        check_uuid(errors, "customer_id", self.customer_id)
        if not errors.check(isinstance(self.items, tuple | list), "items", "Must be a list of order lines."):
            return
        errors.check(
            len(self.items) <= limits.MAX_LINES_PER_ORDER, "items", f"At most {limits.MAX_LINES_PER_ORDER} lines."
        )
        for index, line in enumerate(self.items):
            check_line(errors, f"items[{index}]", line)
        skus = [line.sku for line in self.items if isinstance(line, OrderLine | RequestedLine)]
        duplicates = sorted({sku for sku in skus if skus.count(sku) > 1})
        errors.check(not duplicates, "items", f"List each sku once; repeated: {', '.join(duplicates)}.")


@dataclass(frozen=True, kw_only=True)
class AddItem(OrderCommand):
    # A line change commutes with other lines' changes; the rules (open, same price, the
    # quantity cap) are checked again on the newer order, so a retry is still refused when they fail.
    retry_on_conflict: ClassVar[bool] = True

    sku: str
    quantity: int
    unit_price: Decimal | None = None  # the catalogue's price; when given, it must be that price

    def check(self, errors: FieldErrors) -> None:
        super().check(errors)
        check_sku(errors, "sku", self.sku)
        check_quantity(errors, "quantity", self.quantity)
        if self.unit_price is not None:
            check_price(errors, "unit_price", self.unit_price)


@dataclass(frozen=True, kw_only=True)
class RemoveItem(OrderCommand):
    retry_on_conflict: ClassVar[bool] = True  # as AddItem

    sku: str

    def check(self, errors: FieldErrors) -> None:
        super().check(errors)
        check_text(errors, "sku", self.sku, limits.MAX_SKU_LENGTH)


@dataclass(frozen=True, kw_only=True)
class ShipOrder(OrderCommand):
    # Without an expected_version the sender asked "ship it if it can be shipped now"; a
    # conflict (the saga confirming, another ship) is decided again, and may then be a 422.
    retry_on_conflict: ClassVar[bool] = True


@dataclass(frozen=True, kw_only=True)
class CancelOrder(OrderCommand):
    retry_on_conflict: ClassVar[bool] = True  # as ShipOrder: "cancel it unless it can no longer be"

    reason: str

    def check(self, errors: FieldErrors) -> None:
        super().check(errors)
        check_text(errors, "reason", self.reason, limits.MAX_REASON_LENGTH)


@dataclass(frozen=True, kw_only=True)
class ConfirmOrder(OrderCommand):
    """Sent by the fulfilment saga once stock is held for every line (with the version it reserved for)."""


@dataclass(frozen=True, kw_only=True)
class AddProduct(Command):
    """Add a product to the catalogue, with no stock yet."""

    sku: str
    name: str
    price: Decimal

    def aggregate_id(self) -> str:
        return product_stream_id(self.sku)

    def check(self, errors: FieldErrors) -> None:
        check_sku(errors, "sku", self.sku)
        check_text(errors, "name", self.name, limits.MAX_NAME_LENGTH)
        check_price(errors, "price", self.price)


@dataclass(frozen=True, kw_only=True)
class RestockProduct(Command):
    """Put more units of a product on hand."""

    # Restocks add up in any order, so deciding again on a newer state is what the sender meant.
    retry_on_conflict: ClassVar[bool] = True

    sku: str
    quantity: int

    def aggregate_id(self) -> str:
        return product_stream_id(self.sku)

    def check(self, errors: FieldErrors) -> None:
        check_sku(errors, "sku", self.sku)
        check_quantity(errors, "quantity", self.quantity)


@dataclass(frozen=True, kw_only=True)
class OrderStockCommand(Command):
    """The saga's commands on one product's stock for one order, keyed by order, so repeating
    one changes nothing. Each subclass says for itself whether it is retried on conflict."""

    sku: str
    order_id: uuid.UUID

    def aggregate_id(self) -> str:
        return product_stream_id(self.sku)

    def check(self, errors: FieldErrors) -> None:
        check_text(errors, "sku", self.sku, limits.MAX_SKU_LENGTH)
        check_uuid(errors, "order_id", self.order_id)


@dataclass(frozen=True, kw_only=True)
class ReserveStock(OrderStockCommand):
    """Hold exactly `quantity` units of a product for an order.

    Retried on conflict: a reservation decided on stale stock must be decided again on the
    newer state, which is exactly what makes concurrent orders unable to oversell.
    """

    retry_on_conflict: ClassVar[bool] = True

    quantity: int

    def check(self, errors: FieldErrors) -> None:
        super().check(errors)
        check_quantity(errors, "quantity", self.quantity)


@dataclass(frozen=True, kw_only=True)
class ReleaseStock(OrderStockCommand):
    """Make the units held for an order available again (nothing held: no change)."""

    retry_on_conflict: ClassVar[bool] = True


@dataclass(frozen=True, kw_only=True)
class ShipReservedStock(OrderStockCommand):
    """Take the units held for a shipped order out of stock (nothing held: no change)."""

    retry_on_conflict: ClassVar[bool] = True


@dataclass(frozen=True, kw_only=True)
class ChangeProductPrice(Command):
    """Set a product's catalogue price: new order lines take it; placed orders keep theirs."""

    sku: str
    price: Decimal

    def aggregate_id(self) -> str:
        return product_stream_id(self.sku)

    def check(self, errors: FieldErrors) -> None:
        check_sku(errors, "sku", self.sku)
        check_price(errors, "price", self.price)


@dataclass(frozen=True, kw_only=True)
class RenameProduct(Command):
    """Give a product a new name."""

    sku: str
    name: str

    def aggregate_id(self) -> str:
        return product_stream_id(self.sku)

    def check(self, errors: FieldErrors) -> None:
        check_sku(errors, "sku", self.sku)
        check_text(errors, "name", self.name, limits.MAX_NAME_LENGTH)


@dataclass(frozen=True, kw_only=True)
class DiscontinueProduct(Command):
    """Take a product off sale: new order lines for it are refused; what is reserved still ships."""

    sku: str

    def aggregate_id(self) -> str:
        return product_stream_id(self.sku)

    def check(self, errors: FieldErrors) -> None:
        check_sku(errors, "sku", self.sku)


@dataclass(frozen=True, kw_only=True)
class WriteOffStock(Command):
    """Take damaged or lost units off hand, with the reason; never the units reserved for orders."""

    # Decided again on newer stock: a write-off that still fits is what the sender meant.
    retry_on_conflict: ClassVar[bool] = True

    sku: str
    quantity: int
    reason: str

    def aggregate_id(self) -> str:
        return product_stream_id(self.sku)

    def check(self, errors: FieldErrors) -> None:
        check_sku(errors, "sku", self.sku)
        check_quantity(errors, "quantity", self.quantity)
        check_text(errors, "reason", self.reason, limits.MAX_REASON_LENGTH)

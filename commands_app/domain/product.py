"""The `Product` aggregate and its events: a sku's name and price, its stock, and reservations per order.

A product's stream id is its sku (`product_stream_id`), so "the product with this sku" is one
stream and two `AddProduct` for one sku collide on the store's version check.

Stock moves in three ways: a restock adds units on hand; a reservation holds units for one
order (reserved units are not available to others); shipping an order takes its reserved
units out of the warehouse (on hand and reserved both fall). Reservations are keyed by order
id and set to an exact quantity, so asking again for what an order already holds, or
releasing what it no longer holds, changes nothing: the saga can repeat any step.
"""

import uuid
from dataclasses import dataclass
from decimal import Decimal
from functools import singledispatchmethod
from typing import Any

from commands_app.domain.limits import MAX_STOCK
from commands_app.domain.registry import domain_aggregates, domain_events
from commands_app.framework.aggregate import Aggregate
from commands_app.framework.errors import DomainError

PRODUCT_STREAM_PREFIX = "product:"


def product_stream_id(sku: str) -> str:
    """The stream of the product with this sku (orders and customers have UUIDs; this prefix keeps them apart)."""
    return f"{PRODUCT_STREAM_PREFIX}{sku}"


class OutOfStock(DomainError):
    """A reservation asked for more units than the product has available: 422, and the saga's cue to cancel."""


@domain_events.register
@dataclass(frozen=True)
class ProductAdded:
    sku: str
    name: str
    price: Decimal


@domain_events.register
@dataclass(frozen=True)
class ProductRestocked:
    """`quantity` more units on hand."""

    quantity: int


@domain_events.register
@dataclass(frozen=True)
class StockReserved:
    """`quantity` more units held for `order_id` (added to what it already held)."""

    order_id: uuid.UUID
    quantity: int


@domain_events.register
@dataclass(frozen=True)
class StockReleased:
    """`quantity` units held for `order_id` are available again."""

    order_id: uuid.UUID
    quantity: int


@domain_events.register
@dataclass(frozen=True)
class StockShipped:
    """The `quantity` units held for `order_id` left with its shipment: on hand and reserved both fall."""

    order_id: uuid.UUID
    quantity: int


@domain_aggregates.register
class Product(Aggregate):
    """A product: its sku, name and price, units on hand and units reserved per order."""

    stream_type = "Product"

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.sku = ""
        self.name = ""
        self.price = Decimal("0")
        self.on_hand = 0
        self.reservations: dict[str, int] = {}  # order id -> units held for it

    @property
    def reserved(self) -> int:
        return sum(self.reservations.values())

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved

    def reserved_for(self, order_id: uuid.UUID | str) -> int:
        return self.reservations.get(str(order_id), 0)

    # Commands.

    def add(self, sku: str, name: str, price: Decimal) -> None:
        self.raise_event(ProductAdded(sku=sku, name=name, price=price))

    def restock(self, quantity: int) -> None:
        if self.on_hand + quantity > MAX_STOCK:
            raise DomainError(
                f"Product {self.sku!r} has {self.on_hand} units on hand; {quantity} more would pass "
                f"the limit of {MAX_STOCK:,}."
            )
        self.raise_event(ProductRestocked(quantity=quantity))

    def reserve(self, order_id: uuid.UUID, quantity: int) -> None:
        """Hold exactly `quantity` units for the order: more, fewer, or (same quantity) nothing new."""
        held = self.reserved_for(order_id)
        if quantity < held:
            self.raise_event(StockReleased(order_id=order_id, quantity=held - quantity))
        elif quantity > held:
            needed = quantity - held
            if needed > self.available:
                raise OutOfStock(
                    f"Product {self.sku!r} has {self.available} units available; order {order_id} needs "
                    f"{needed} more to hold {quantity}."
                )
            self.raise_event(StockReserved(order_id=order_id, quantity=needed))

    def release(self, order_id: uuid.UUID) -> None:
        """Make everything held for the order available again (nothing held: nothing happens)."""
        self.reserve(order_id, 0)

    def ship_reserved(self, order_id: uuid.UUID) -> None:
        """The order's reserved units leave the warehouse (nothing held, e.g. shipped already: nothing happens)."""
        held = self.reserved_for(order_id)
        if held:
            self.raise_event(StockShipped(order_id=order_id, quantity=held))

    # Snapshots: open reservations only, so the state stays as small as the open orders.

    def snapshot_state(self) -> dict[str, Any]:
        return {
            "sku": self.sku,
            "name": self.name,
            "price": str(self.price),
            "on_hand": self.on_hand,
            "reservations": dict(self.reservations),
        }

    def restore_state(self, state: dict[str, Any]) -> None:
        reservations = state["reservations"]
        if not isinstance(reservations, dict) or not all(isinstance(v, int) for v in reservations.values()):
            raise ValueError(f"product snapshot state has malformed reservations: {reservations!r}")
        self.sku, self.name, self.price = str(state["sku"]), str(state["name"]), Decimal(state["price"])
        self.on_hand = int(state["on_hand"])
        self.reservations = {str(order_id): units for order_id, units in reservations.items()}

    # State changes.

    @singledispatchmethod
    def apply(self, event: object) -> None:
        super().apply(event)

    @apply.register
    def _(self, event: ProductAdded) -> None:
        self.sku, self.name, self.price = event.sku, event.name, event.price

    @apply.register
    def _(self, event: ProductRestocked) -> None:
        self.on_hand += event.quantity

    @apply.register
    def _(self, event: StockReserved) -> None:
        order_id = str(event.order_id)
        self.reservations[order_id] = self.reservations.get(order_id, 0) + event.quantity

    @apply.register
    def _(self, event: StockReleased) -> None:
        self._take_from_reservation(str(event.order_id), event.quantity)

    @apply.register
    def _(self, event: StockShipped) -> None:
        self._take_from_reservation(str(event.order_id), event.quantity)
        self.on_hand -= event.quantity

    def _take_from_reservation(self, order_id: str, quantity: int) -> None:
        left = self.reservations.get(order_id, 0) - quantity
        if left > 0:
            self.reservations[order_id] = left
        else:
            self.reservations.pop(order_id, None)

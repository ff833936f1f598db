"""The `Product` aggregate and `StockHold`, with their events: a sku's stock, and what is held per order.

A product's stream id is its sku (`product_stream_id`), so "the product with this sku" is one
stream and two `AddProduct` for one sku collide on the store's version check.

Stock moves in three ways: a restock adds units on hand; a reservation holds units for one
order (reserved units are not available to others); shipping an order takes its reserved
units out of the warehouse (on hand and reserved both fall).

What one order holds of one product is its own small stream, a `StockHold`
(`stock_hold_stream_id`), so the product's state is a few totals whatever the number of open
orders: loading it, checking it and snapshotting it cost the same for 100 open orders as for
100,000. Every change of a hold is two events appended in one transaction: the product's
(`StockReserved`, `StockReleased`, `StockShipped`, whose stream version is what keeps two
reservations decided on the same stock from both landing) and the hold's (`StockHoldChanged`,
the exact quantity now held, whose version keeps a repeated step from landing twice).
Reservations are set to an exact quantity per order, so asking again for what an order
already holds, or releasing what it no longer holds, changes nothing: the saga can repeat any step.

Product streams written before holds had streams of their own (stock events of schema 1)
kept every order's hold in the product's state. Those holds are still read from there
(`Product.legacy_holds`, built only from schema-1 events, so it can only shrink), until the
order's hold is next changed and its own stream takes over.
"""

import uuid
from dataclasses import dataclass
from decimal import Decimal
from functools import singledispatchmethod
from typing import Any, ClassVar

from commands_app.domain.limits import MAX_STOCK
from commands_app.domain.registry import domain_aggregates, domain_events, snapshotted_aggregate
from commands_app.framework.aggregate import Aggregate
from commands_app.framework.errors import DomainError

PRODUCT_STREAM_PREFIX = "product:"
STOCK_HOLD_STREAM_PREFIX = "stock-hold:"


def product_stream_id(sku: str) -> str:
    """The stream of the product with this sku (orders and customers have UUIDs; this prefix keeps them apart)."""
    return f"{PRODUCT_STREAM_PREFIX}{sku}"


def stock_hold_stream_id(sku: str, order_id: uuid.UUID | str) -> str:
    """The stream of what one order holds of one product. The order id (fixed length) comes
    first, so any sku after it keeps the id unambiguous."""
    return f"{STOCK_HOLD_STREAM_PREFIX}{order_id}:{sku}"


class PriceMismatch(DomainError):
    """An order line asked for another price than the catalogue's: 422, naming both."""


class ProductDiscontinuedError(DomainError):
    """A new order line for a discontinued product: 422."""


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
class ProductPriceChanged:
    """The catalogue price is now `price` (it was `previous_price`); placed orders keep the price they took."""

    price: Decimal
    previous_price: Decimal


@domain_events.register
@dataclass(frozen=True)
class ProductRenamed:
    name: str


@domain_events.register
@dataclass(frozen=True)
class ProductDiscontinued:
    """Off sale: no new order lines; units already reserved for orders are still honoured."""


@domain_events.register
@dataclass(frozen=True)
class StockWrittenOff:
    """`quantity` units left stock on hand (damaged, lost), for `reason`."""

    quantity: int
    reason: str


@domain_events.register
@dataclass(frozen=True)
class ProductRestocked:
    """`quantity` more units on hand."""

    quantity: int


@dataclass(frozen=True)
class StockChange:
    """A product's stock moved for one order by `quantity`; the order then holds `held` units.

    Schema 2 added `held`, written in the same transaction as the order's `StockHoldChanged`.
    Schema-1 rows read with `held=None`: they were written when the product stream itself was
    the record of every order's hold (see `Product.legacy_holds`).
    """

    order_id: uuid.UUID
    quantity: int
    held: int | None = None

    schema_version: ClassVar[int] = 2


@domain_events.register
@dataclass(frozen=True)
class StockReserved(StockChange):
    """`quantity` more units held for `order_id`."""


@domain_events.register
@dataclass(frozen=True)
class StockReleased(StockChange):
    """`quantity` units held for `order_id` are available again."""


@domain_events.register
@dataclass(frozen=True)
class StockShipped(StockChange):
    """The `quantity` units held for `order_id` left with its shipment: on hand and reserved both fall."""


@domain_events.register
@dataclass(frozen=True)
class StockHoldChanged:
    """`order_id` now holds exactly `held` units of `sku` (0: nothing, released or shipped)."""

    sku: str
    order_id: uuid.UUID
    held: int


@domain_aggregates.register
class StockHold(Aggregate):
    """What one order holds of one product: a stream of a few events, one per change.

    Changed only by `Product`, in the same command (and transaction) as the product's own event.
    """

    stream_type = "StockHold"

    def __init__(self, aggregate_id: str | uuid.UUID) -> None:
        super().__init__(aggregate_id)
        self.sku = ""
        self.order_id = ""
        self.held = 0

    def change(self, sku: str, order_id: uuid.UUID, held: int) -> None:
        self.raise_event(StockHoldChanged(sku=sku, order_id=order_id, held=held))

    # Never snapshotted (a hold has a handful of events); these hooks serve time travel and the admin.

    def snapshot_state(self) -> dict[str, Any]:
        return {"sku": self.sku, "order_id": self.order_id, "held": self.held}

    def restore_state(self, state: dict[str, Any]) -> None:
        self.sku, self.order_id, self.held = str(state["sku"]), str(state["order_id"]), int(state["held"])

    @singledispatchmethod
    def apply(self, event: object) -> None:
        super().apply(event)

    @apply.register
    def _(self, event: StockHoldChanged) -> None:
        self.sku, self.order_id, self.held = event.sku, str(event.order_id), event.held


@domain_aggregates.register
@snapshotted_aggregate
class Product(Aggregate):
    """A product: its sku, name and price, units on hand and units reserved in total.

    Per-order holds live in `StockHold` streams; the commands that change one take the
    order's loaded `StockHold` and change it together with the product.
    """

    stream_type = "Product"
    snapshot_schema_version = 2  # 2: totals and legacy holds instead of every open reservation

    def __init__(self, aggregate_id: str | uuid.UUID) -> None:
        super().__init__(aggregate_id)
        self.sku = ""
        self.name = ""
        self.price = Decimal("0")
        self.on_hand = 0
        self.reserved = 0
        self.discontinued = False
        # Order id -> units held, for holds recorded by schema-1 events only (before holds had
        # streams). Never grows from new events; an entry leaves when its order's hold changes.
        self.legacy_holds: dict[str, int] = {}

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved

    def held_for(self, order_id: uuid.UUID | str, hold: StockHold) -> int:
        """Units held for the order (`hold` is its `StockHold` of this product): the hold stream's
        figure once it has one, else what schema-1 events recorded here (usually nothing)."""
        self.check_hold_is_ours(order_id, hold)
        return hold.held if hold.exists else self.legacy_holds.get(str(order_id), 0)

    # Rules that need state: each a named check raising a DomainError (422).

    def check_on_sale(self) -> None:
        if self.discontinued:
            raise ProductDiscontinuedError(
                f"Product {self.sku!r} is discontinued; it can no longer be ordered (orders placed before keep it)."
            )

    def line_price(self, asked: Decimal | None) -> Decimal:
        """The price of a new order line for this product: the catalogue's, checked against `asked` when given."""
        self.check_on_sale()
        if asked is not None and asked != self.price:
            raise PriceMismatch(
                f"Product {self.sku!r} costs {self.price}; the line asked for {asked}. "
                f"Send unit_price {self.price}, or leave it out to take the catalogue price."
            )
        return self.price

    # Commands.

    def change_price(self, price: Decimal) -> None:
        if price != self.price:
            self.raise_event(ProductPriceChanged(price=price, previous_price=self.price))

    def rename(self, name: str) -> None:
        if name != self.name:
            self.raise_event(ProductRenamed(name=name))

    def discontinue(self) -> None:
        if not self.discontinued:
            self.raise_event(ProductDiscontinued())

    def write_off(self, quantity: int, reason: str) -> None:
        if quantity > self.available:
            raise DomainError(
                f"Product {self.sku!r} has {self.on_hand} units on hand, {self.reserved} of them reserved for "
                f"orders; at most {self.available} can be written off, not {quantity}."
            )
        self.raise_event(StockWrittenOff(quantity=quantity, reason=reason))

    def add(self, sku: str, name: str, price: Decimal) -> None:
        self.raise_event(ProductAdded(sku=sku, name=name, price=price))

    def restock(self, quantity: int) -> None:
        if self.on_hand + quantity > MAX_STOCK:
            raise DomainError(
                f"Product {self.sku!r} has {self.on_hand} units on hand; {quantity} more would pass "
                f"the limit of {MAX_STOCK:,}."
            )
        self.raise_event(ProductRestocked(quantity=quantity))

    def reserve(self, order_id: uuid.UUID, quantity: int, hold: StockHold) -> None:
        """Hold exactly `quantity` units for the order: more, fewer, or (same quantity) nothing new."""
        held = self.held_for(order_id, hold)
        if quantity < held:
            self.raise_event(StockReleased(order_id=order_id, quantity=held - quantity, held=quantity))
        elif quantity > held:
            needed = quantity - held
            if needed > self.available:
                raise OutOfStock(
                    f"Product {self.sku!r} has {self.available} units available; order {order_id} needs "
                    f"{needed} more to hold {quantity}."
                )
            self.raise_event(StockReserved(order_id=order_id, quantity=needed, held=quantity))
        else:
            return
        hold.change(self.sku, order_id, quantity)

    def release(self, order_id: uuid.UUID, hold: StockHold) -> None:
        """Make everything held for the order available again (nothing held: nothing happens)."""
        self.reserve(order_id, 0, hold)

    def ship_reserved(self, order_id: uuid.UUID, hold: StockHold) -> None:
        """The order's reserved units leave the warehouse (nothing held, e.g. shipped already: nothing happens)."""
        held = self.held_for(order_id, hold)
        if held:
            self.raise_event(StockShipped(order_id=order_id, quantity=held, held=0))
            hold.change(self.sku, order_id, 0)

    def check_hold_is_ours(self, order_id: uuid.UUID | str, hold: StockHold) -> None:
        if hold.id != stock_hold_stream_id(self.sku, order_id):
            raise ValueError(f"{hold.id} is not the hold of order {order_id} on product {self.sku!r}")

    # Snapshots: a few totals (and the legacy holds, which only shrink), whatever the open orders.

    def snapshot_state(self) -> dict[str, Any]:
        return {
            "sku": self.sku,
            "name": self.name,
            "price": str(self.price),
            "on_hand": self.on_hand,
            "reserved": self.reserved,
            "discontinued": self.discontinued,
            "legacy_holds": dict(self.legacy_holds),
        }

    def restore_state(self, state: dict[str, Any]) -> None:
        legacy = state["legacy_holds"]
        if not isinstance(legacy, dict) or not all(isinstance(v, int) for v in legacy.values()):
            raise ValueError(f"product snapshot state has malformed legacy holds: {legacy!r}")
        self.sku, self.name, self.price = str(state["sku"]), str(state["name"]), Decimal(state["price"])
        self.on_hand, self.reserved = int(state["on_hand"]), int(state["reserved"])
        self.discontinued = bool(state.get("discontinued", False))  # absent in snapshots before discontinuing existed
        self.legacy_holds = {str(order_id): units for order_id, units in legacy.items()}

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
    def _(self, event: ProductPriceChanged) -> None:
        self.price = event.price

    @apply.register
    def _(self, event: ProductRenamed) -> None:
        self.name = event.name

    @apply.register
    def _(self, event: ProductDiscontinued) -> None:
        self.discontinued = True

    @apply.register
    def _(self, event: StockWrittenOff) -> None:
        self.on_hand -= event.quantity

    @apply.register
    def _(self, event: StockReserved) -> None:
        self.reserved += event.quantity
        self._follow_hold(event, +event.quantity)

    @apply.register
    def _(self, event: StockReleased) -> None:
        self.reserved -= event.quantity
        self._follow_hold(event, -event.quantity)

    @apply.register
    def _(self, event: StockShipped) -> None:
        self.reserved -= event.quantity
        self.on_hand -= event.quantity
        self._follow_hold(event, -event.quantity)

    def _follow_hold(self, event: StockChange, change: int) -> None:
        order_id = str(event.order_id)
        if event.held is not None:
            # Written with the order's own hold stream, which is its record from now on.
            self.legacy_holds.pop(order_id, None)
            return
        left = self.legacy_holds.get(order_id, 0) + change  # schema 1: this stream is the record
        if left > 0:
            self.legacy_holds[order_id] = left
        else:
            self.legacy_holds.pop(order_id, None)

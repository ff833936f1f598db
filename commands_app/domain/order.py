"""The `Order` aggregate, its line value and its events.

Statuses: `placed` (waiting for stock) -> `confirmed` (the fulfilment saga reserved every line)
-> `shipped`; or `cancelled` from `placed` or `confirmed`. Changing the lines of a confirmed
order takes it back to `placed` (`OrderReopened`) until the saga has reserved the new lines, so a
confirmed order's lines are always the ones its stock is held for, and only a confirmed order can
be shipped.

The events carry what the aggregate decided, so readers copy facts instead of re-deriving them:
every event that changes the lines carries the order's `total` after it, and a reopening is an
event of its own. Rows written before that (schema 1 of `ItemAdded`/`ItemRemoved`) read with
`total=None`; see `docs/schema-evolution.md`.
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import singledispatchmethod
from typing import Any, ClassVar

from commands_app.domain.limits import MAX_QUANTITY
from commands_app.domain.registry import domain_aggregates, domain_events, snapshotted_aggregate
from commands_app.framework.aggregate import Aggregate
from commands_app.framework.errors import DomainError

PLACED, CONFIRMED, SHIPPED, CANCELLED = "placed", "confirmed", "shipped", "cancelled"


@dataclass(frozen=True)
class OrderLine:
    sku: str
    quantity: int
    unit_price: Decimal


def lines_total(lines: Iterable[OrderLine]) -> Decimal:
    """The order's total: the one place it is computed (events carry it to every reader)."""
    return sum((line.quantity * line.unit_price for line in lines), Decimal("0"))


@domain_events.register
@dataclass(frozen=True)
class OrderPlaced:
    """Schema 2 added `total`, the lines' sum at placing, so readers need not add up money.

    Left out, `total` is computed from the lines. Schema-1 rows get it from the upcaster in
    `commands_app.domain.upcasters`.
    """

    customer_id: uuid.UUID
    lines: tuple[OrderLine, ...]
    total: Decimal | None = None

    schema_version: ClassVar[int] = 2

    def __post_init__(self) -> None:
        if self.total is None:
            object.__setattr__(self, "total", lines_total(self.lines))


@dataclass(frozen=True)
class LineChanged:
    """Base of the events that change an order's lines, and so its total (not stored itself).

    Schema 2 added `total`, the order's total after the change, so readers copy it rather than
    add up money. `None` only in rows written in schema 1, which did not record it (the upcaster
    in `commands_app.domain.upcasters` says so); such a row, changing a confirmed order, also
    reopened it with no `OrderReopened` after it.
    """

    sku: str
    quantity: int
    unit_price: Decimal
    total: Decimal | None

    schema_version: ClassVar[int] = 2


@domain_events.register
@dataclass(frozen=True)
class ItemAdded(LineChanged):
    """`quantity` more of `sku` at `unit_price` (a new line, or more of one at the same price)."""


@domain_events.register
@dataclass(frozen=True)
class ItemRemoved(LineChanged):
    """The whole line left the order; it records what was removed, so readers need no lookup."""


@domain_events.register
@dataclass(frozen=True)
class OrderReopened:
    """A line change took a confirmed order back to `placed`: its stock is to be reserved again.

    Raised right after the `ItemAdded`/`ItemRemoved` that caused it, in the same append.
    """


@domain_events.register
@dataclass(frozen=True)
class OrderConfirmed:
    """Stock is held for every line: the order can be shipped."""


@domain_events.register
@dataclass(frozen=True)
class OrderShipped:
    pass


@domain_events.register
@dataclass(frozen=True)
class OrderCancelled:
    reason: str


@domain_aggregates.register
@snapshotted_aggregate
class Order(Aggregate):
    """An order of one customer: lines that change until it is shipped or cancelled."""

    stream_type = "Order"
    snapshot_schema_version = 2  # 2: `ordered_skus`

    def __init__(self, aggregate_id: str | uuid.UUID) -> None:
        super().__init__(aggregate_id)
        self.customer_id: uuid.UUID | None = None
        self.status: str | None = None
        self.lines: dict[str, OrderLine] = {}
        # Every sku that was ever on the order: where the saga may have reserved stock for it.
        self.ordered_skus: set[str] = set()

    # Rules that need state: each is a named check raising a DomainError (422).

    def check_open(self) -> None:
        if self.status in (SHIPPED, CANCELLED):
            raise DomainError(f"Order {self.id} is already {self.status}; it can no longer change.")

    def check_not_empty(self) -> None:
        if not self.lines:
            raise DomainError(f"Order {self.id} has no items; an empty order cannot be shipped.")

    # Commands.

    def place(self, customer_id: uuid.UUID, lines: tuple[OrderLine, ...]) -> None:
        self.raise_event(OrderPlaced(customer_id=customer_id, lines=tuple(lines)))

    def add_item(self, sku: str, quantity: int, unit_price: Decimal) -> None:
        self.check_open()
        existing = self.lines.get(sku)
        if existing is not None:
            if existing.unit_price != unit_price:
                raise DomainError(
                    f"Sku {sku!r} is already on order {self.id} at {existing.unit_price}; "
                    f"it cannot be added at {unit_price}. Remove the line first to change its price."
                )
            if existing.quantity + quantity > MAX_QUANTITY:
                units = existing.quantity + quantity
                raise DomainError(f"Sku {sku!r} would reach {units} units; a line holds at most {MAX_QUANTITY}.")
        total = lines_total(self.lines.values()) + quantity * unit_price
        self.raise_event(ItemAdded(sku=sku, quantity=quantity, unit_price=unit_price, total=total))
        self._reopen_if_confirmed()

    def remove_item(self, sku: str) -> None:
        self.check_open()
        line = self.lines.get(sku)
        if line is None:
            raise DomainError(f"Sku {sku!r} is not on order {self.id}.")
        total = lines_total(self.lines.values()) - line.quantity * line.unit_price
        self.raise_event(ItemRemoved(sku=sku, quantity=line.quantity, unit_price=line.unit_price, total=total))
        self._reopen_if_confirmed()

    def _reopen_if_confirmed(self) -> None:
        # The new lines wait for their stock, as a new order does.
        if self.status == CONFIRMED:
            self.raise_event(OrderReopened())

    def confirm(self) -> None:
        if self.status == CONFIRMED:
            return  # confirming twice is no change: a repeated saga step writes nothing
        self.check_open()
        self.check_not_empty()
        self.raise_event(OrderConfirmed())

    def ship(self) -> None:
        self.check_open()
        self.check_not_empty()
        if self.status != CONFIRMED:
            raise DomainError(
                f"Order {self.id} is {self.status}: it is waiting for stock to be reserved; "
                "only a confirmed order can be shipped."
            )
        self.raise_event(OrderShipped())

    def cancel(self, reason: str) -> None:
        self.check_open()
        self.raise_event(OrderCancelled(reason=reason))

    # Snapshots: the state as JSON, money as exact strings.

    def snapshot_state(self) -> dict[str, Any]:
        return {
            "customer_id": None if self.customer_id is None else str(self.customer_id),
            "status": self.status,
            "ordered_skus": sorted(self.ordered_skus),
            "lines": [
                {"sku": line.sku, "quantity": line.quantity, "unit_price": str(line.unit_price)}
                for line in self.lines.values()
            ],
        }

    def restore_state(self, state: dict[str, Any]) -> None:
        customer_id = state["customer_id"]
        self.customer_id = None if customer_id is None else uuid.UUID(customer_id)
        self.status = state["status"]
        self.ordered_skus = set(state["ordered_skus"])
        self.lines = {
            line["sku"]: OrderLine(
                sku=line["sku"], quantity=int(line["quantity"]), unit_price=Decimal(line["unit_price"])
            )
            for line in state["lines"]
        }

    # State changes: the only place state moves.

    @singledispatchmethod
    def apply(self, event: object) -> None:
        super().apply(event)

    @apply.register
    def _(self, event: OrderPlaced) -> None:
        self.customer_id = event.customer_id
        self.status = PLACED
        self.lines = {line.sku: line for line in event.lines}
        self.ordered_skus = set(self.lines)

    @apply.register
    def _(self, event: ItemAdded) -> None:
        self._lines_changed(event.sku, event.total)
        existing = self.lines.get(event.sku)
        quantity = event.quantity + (existing.quantity if existing else 0)
        self.lines[event.sku] = OrderLine(sku=event.sku, quantity=quantity, unit_price=event.unit_price)

    @apply.register
    def _(self, event: ItemRemoved) -> None:
        self._lines_changed(event.sku, event.total)
        del self.lines[event.sku]

    @apply.register
    def _(self, event: OrderConfirmed) -> None:
        self.status = CONFIRMED

    @apply.register
    def _(self, event: OrderReopened) -> None:
        self.status = PLACED

    @apply.register
    def _(self, event: OrderShipped) -> None:
        self.status = SHIPPED

    @apply.register
    def _(self, event: OrderCancelled) -> None:
        self.status = CANCELLED

    def _lines_changed(self, sku: str, total: Decimal | None) -> None:
        self.ordered_skus.add(sku)
        if total is None and self.status == CONFIRMED:
            # Schema 1 (`total` not recorded) raised no `OrderReopened`: the change itself reopened.
            self.status = PLACED

"""The `Order` aggregate, its line value and its events."""

import uuid
from dataclasses import dataclass
from decimal import Decimal
from functools import singledispatchmethod
from typing import Any, ClassVar

from commands_app.domain.limits import MAX_QUANTITY
from commands_app.domain.registry import domain_aggregates, domain_events
from commands_app.framework.aggregate import Aggregate
from commands_app.framework.errors import DomainError

PLACED, SHIPPED, CANCELLED = "placed", "shipped", "cancelled"


@dataclass(frozen=True)
class OrderLine:
    sku: str
    quantity: int
    unit_price: Decimal


def lines_total(lines: tuple[OrderLine, ...]) -> Decimal:
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


@domain_events.register
@dataclass(frozen=True)
class ItemAdded:
    sku: str
    quantity: int
    unit_price: Decimal


@domain_events.register
@dataclass(frozen=True)
class ItemRemoved:
    """The whole line left the order; it records what was removed, so readers need no lookup."""

    sku: str
    quantity: int
    unit_price: Decimal


@domain_events.register
@dataclass(frozen=True)
class OrderShipped:
    pass


@domain_events.register
@dataclass(frozen=True)
class OrderCancelled:
    reason: str


@domain_aggregates.register
class Order(Aggregate):
    """An order of one customer: lines that change until it is shipped or cancelled."""

    stream_type = "Order"

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.customer_id: uuid.UUID | None = None
        self.status: str | None = None
        self.lines: dict[str, OrderLine] = {}

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
                total = existing.quantity + quantity
                raise DomainError(f"Sku {sku!r} would reach {total} units; a line holds at most {MAX_QUANTITY}.")
        self.raise_event(ItemAdded(sku=sku, quantity=quantity, unit_price=unit_price))

    def remove_item(self, sku: str) -> None:
        self.check_open()
        line = self.lines.get(sku)
        if line is None:
            raise DomainError(f"Sku {sku!r} is not on order {self.id}.")
        self.raise_event(ItemRemoved(sku=sku, quantity=line.quantity, unit_price=line.unit_price))

    def ship(self) -> None:
        self.check_open()
        self.check_not_empty()
        self.raise_event(OrderShipped())

    def cancel(self, reason: str) -> None:
        self.check_open()
        self.raise_event(OrderCancelled(reason=reason))

    # Snapshots: the state as JSON, money as exact strings.

    def snapshot_state(self) -> dict[str, Any]:
        return {
            "customer_id": None if self.customer_id is None else str(self.customer_id),
            "status": self.status,
            "lines": [
                {"sku": line.sku, "quantity": line.quantity, "unit_price": str(line.unit_price)}
                for line in self.lines.values()
            ],
        }

    def restore_state(self, state: dict[str, Any]) -> None:
        customer_id = state["customer_id"]
        self.customer_id = None if customer_id is None else uuid.UUID(customer_id)
        self.status = state["status"]
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

    @apply.register
    def _(self, event: ItemAdded) -> None:
        existing = self.lines.get(event.sku)
        quantity = event.quantity + (existing.quantity if existing else 0)
        self.lines[event.sku] = OrderLine(sku=event.sku, quantity=quantity, unit_price=event.unit_price)

    @apply.register
    def _(self, event: ItemRemoved) -> None:
        del self.lines[event.sku]

    @apply.register
    def _(self, event: OrderShipped) -> None:
        self.status = SHIPPED

    @apply.register
    def _(self, event: OrderCancelled) -> None:
        self.status = CANCELLED

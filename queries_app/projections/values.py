"""Reading values out of stored event data (JSON), where money is a string."""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from eventstore.store import RecordedEvent

CUSTOMER_EVENTS = {"CustomerRegistered", "CustomerUpdated", "CustomerForgotten"}


def money(value: str | int) -> Decimal:
    return Decimal(str(value))


def total_after_line_change(data: dict, total_before: Decimal, sign: int) -> Decimal:
    """The order's total after an `ItemAdded` (`sign` 1) or `ItemRemoved` (-1): the event's own `total`.

    Schema-1 fallback, and the only place the read side works out an order's total: rows written
    before line events carried `total` read `total=None` (the upcaster), and for them alone the
    total is the one before, plus or minus the line. A projection that is rebuilt passes through
    the same rows in the same order, so it reaches the same figure the aggregate had.
    """
    if data["total"] is not None:
        return money(data["total"])
    return total_before + sign * int(data["quantity"]) * money(data["unit_price"])


@dataclass(frozen=True)
class TouchedIds:
    """The streams one batch touches. Orders placed in the batch are new (each event is
    handled once): there is nothing of theirs to load or delete, which in a rebuild is most."""

    placed: set[str]
    earlier_orders: set[str]
    customers: set[str]  # customers with events in the batch or orders placed in it


def touched_ids(events: Iterable[RecordedEvent]) -> TouchedIds:
    events = list(events)
    placed = {e.stream_id for e in events if e.event_type == "OrderPlaced"}
    orders = {e.stream_id for e in events if e.event_type not in CUSTOMER_EVENTS}
    customers = {e.stream_id for e in events if e.event_type in CUSTOMER_EVENTS}
    customers |= {e.data["customer_id"] for e in events if e.event_type == "OrderPlaced"}
    return TouchedIds(placed=placed, earlier_orders=orders - placed, customers=customers)

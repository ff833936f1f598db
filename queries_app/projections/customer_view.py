"""`CustomerViewProjection`: keeps `CustomerView` (name, email, order count, total spent).

Like every projection here, a batch is applied in memory to the rows it touches, which
are loaded once and upserted at the end.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from eventstore.row_batches import Rows, RowTable
from eventstore.store import RecordedEvent
from eventstore.subscriptions import BatchProjection, handles
from queries_app.models import CustomerOrderTotal, CustomerView
from queries_app.projections.values import money, total_after_line_change, touched_ids


@dataclass(slots=True)
class CustomerRow:
    """A row of `CustomerView` while a batch is applied."""

    id: str
    name: str
    email: str
    order_count: int
    total_spent: Decimal
    registered_at: datetime
    updated_at: datetime
    version: int
    forgotten: bool


@dataclass(slots=True)
class OrderTotalRow:
    """A row of `CustomerOrderTotal`."""

    order_id: str
    customer_id: str
    total: Decimal
    cancelled: bool


CUSTOMERS = RowTable(CustomerView, CustomerRow, key="id", noun="customer", missing="who was never registered")
ORDER_TOTALS = RowTable(
    CustomerOrderTotal, OrderTotalRow, key="order_id", noun="order", missing="which was never placed"
)


class CustomerBatch:
    """The customers and per-order totals one batch of events touches."""

    def __init__(self, events: Iterable[RecordedEvent]) -> None:
        ids = touched_ids(events)
        self.orders = Rows(ORDER_TOTALS, ids.earlier_orders)
        self.customers = Rows(CUSTOMERS, ids.customers | {o.customer_id for o in self.orders.values()})

    def spend(self, customer_id: str | UUID, amount: Decimal, event: RecordedEvent) -> None:
        customer = self.customers.get(str(customer_id))
        if customer is None:
            return  # an order of a customer this log never registered: nothing to count it on
        customer.total_spent += amount
        customer.updated_at = event.recorded_at
        self.customers.mark(str(customer_id))

    def order(self, event: RecordedEvent) -> OrderTotalRow:
        return self.orders.change(event.stream_id, event)

    def save(self) -> None:
        self.customers.save()
        self.orders.save()


def changed_customer(batch: CustomerBatch, event: RecordedEvent) -> CustomerRow:
    """The registered customer `event` changes, marked changed at the event's version."""
    customer = batch.customers.change(event.stream_id, event)
    customer.updated_at, customer.version = event.recorded_at, event.version
    return customer


class CustomerViewProjection(BatchProjection):
    name = "customer_view"
    batch_class = CustomerBatch
    read_models = (CustomerView, CustomerOrderTotal)

    @handles("CustomerRegistered")
    def registered(self, batch: CustomerBatch, event: RecordedEvent) -> None:
        batch.customers.add(
            event.stream_id,
            CustomerRow(
                id=event.stream_id,
                # None when the customer was forgotten before this read (a rebuild): blank, as scrubbed.
                name=event.data["name"] or "",
                email=event.data["email"] or "",
                forgotten=bool(event.data.get("forgotten")),
                order_count=0,
                total_spent=Decimal("0"),
                registered_at=event.recorded_at,
                updated_at=event.recorded_at,
                version=event.version,
            ),
        )

    @handles("CustomerUpdated")
    def updated(self, batch: CustomerBatch, event: RecordedEvent) -> None:
        customer = changed_customer(batch, event)
        customer.name, customer.email = event.data["name"] or "", event.data["email"] or ""

    @handles("CustomerForgotten")
    def forgotten(self, batch: CustomerBatch, event: RecordedEvent) -> None:
        # The person goes, the figures stay: the same row a rebuild after forgetting produces.
        customer = changed_customer(batch, event)
        customer.name, customer.email, customer.forgotten = "", "", True

    @handles("OrderPlaced")
    def order_placed(self, batch: CustomerBatch, event: RecordedEvent) -> None:
        total = money(event.data["total"])  # schema 2; the store upcasts schema-1 rows
        customer_id = event.data["customer_id"]
        batch.orders.add(event.stream_id, OrderTotalRow(event.stream_id, customer_id, total, cancelled=False))
        customer = batch.customers.get(customer_id)
        if customer is not None:
            customer.order_count += 1
        batch.spend(customer_id, total, event)

    @handles("ItemAdded")
    def item_added(self, batch: CustomerBatch, event: RecordedEvent) -> None:
        self._change_total(batch, event, 1)

    @handles("ItemRemoved")
    def item_removed(self, batch: CustomerBatch, event: RecordedEvent) -> None:
        self._change_total(batch, event, -1)

    @handles("OrderCancelled")
    def order_cancelled(self, batch: CustomerBatch, event: RecordedEvent) -> None:
        order = batch.order(event)
        order.cancelled = True
        batch.spend(order.customer_id, -order.total, event)

    def _change_total(self, batch: CustomerBatch, event: RecordedEvent, sign: int) -> None:
        # The order's new total is copied from the event; what the customer spent moves by the difference.
        order = batch.order(event)
        total = total_after_line_change(event.data, order.total, sign)
        amount, order.total = total - order.total, total
        if not order.cancelled:
            batch.spend(order.customer_id, amount, event)

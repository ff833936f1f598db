"""`CustomerViewProjection`: keeps `CustomerView` (name, email, order count, total spent).

Like every projection here, a batch is applied in memory to the rows it touches, which
are loaded once and upserted at the end.
"""

from collections.abc import Iterable
from decimal import Decimal
from uuid import UUID

from eventstore.store import RecordedEvent
from eventstore.subscriptions import BatchProjection, handles
from eventstore.tables import upsert
from queries_app.models import CustomerOrderTotal, CustomerView
from queries_app.projections.values import money, total_after_line_change, touched_ids

CUSTOMER_FIELDS = [f.name for f in CustomerView._meta.concrete_fields if not f.primary_key]


class CustomerBatch:
    """The customers and per-order totals one batch of events touches."""

    def __init__(self, events: Iterable[RecordedEvent]) -> None:
        ids = touched_ids(events)
        self.orders = (
            {str(o.order_id): o for o in CustomerOrderTotal.objects.filter(order_id__in=ids.earlier_orders)}
            if ids.earlier_orders
            else {}
        )
        customer_ids = ids.customers | {str(o.customer_id) for o in self.orders.values()}
        self.customers = {str(c.id): c for c in CustomerView.objects.filter(id__in=customer_ids)}
        self.changed_customers: set[str] = set()
        self.changed_orders: set[str] = set()

    def spend(self, customer_id: str | UUID, amount: Decimal, event: RecordedEvent) -> None:
        customer = self.customers.get(str(customer_id))
        if customer is None:
            return  # an order of a customer this log never registered: nothing to count it on
        customer.total_spent += amount
        customer.updated_at = event.recorded_at
        self.changed_customers.add(str(customer_id))

    def order(self, event: RecordedEvent) -> CustomerOrderTotal:
        try:
            order = self.orders[event.stream_id]
        except KeyError:
            raise LookupError(f"{event.event_type} for order {event.stream_id}, which was never placed") from None
        self.changed_orders.add(event.stream_id)
        return order

    def save(self) -> None:
        if self.changed_customers:
            upsert(
                CustomerView,
                [self.customers[c] for c in self.changed_customers],
                conflict_fields=["id"],
                update_fields=CUSTOMER_FIELDS,
            )
        if self.changed_orders:
            upsert(
                CustomerOrderTotal,
                [self.orders[o] for o in self.changed_orders],
                conflict_fields=["order_id"],
                update_fields=["customer_id", "total", "cancelled"],
            )


def changed_customer(batch: CustomerBatch, event: RecordedEvent) -> CustomerView:
    """The registered customer `event` changes, marked changed at the event's version."""
    customer = batch.customers.get(event.stream_id)
    if customer is None:
        raise LookupError(f"{event.event_type} for customer {event.stream_id}, who was never registered")
    customer.updated_at, customer.version = event.recorded_at, event.version
    batch.changed_customers.add(event.stream_id)
    return customer


class CustomerViewProjection(BatchProjection):
    name = "customer_view"
    batch_class = CustomerBatch
    read_models = (CustomerView, CustomerOrderTotal)

    def reset(self) -> None:
        CustomerOrderTotal.objects.all().delete()
        CustomerView.objects.all().delete()

    @handles("CustomerRegistered")
    def registered(self, batch: CustomerBatch, event: RecordedEvent) -> None:
        batch.customers[event.stream_id] = CustomerView(
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
        )
        batch.changed_customers.add(event.stream_id)

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
        batch.orders[event.stream_id] = CustomerOrderTotal(
            order_id=event.stream_id, customer_id=customer_id, total=total
        )
        batch.changed_orders.add(event.stream_id)
        if customer_id in batch.customers:
            batch.customers[customer_id].order_count += 1
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

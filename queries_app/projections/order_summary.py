"""`OrderSummaryProjection`: keeps `OrderSummary` and its lines, with the customer's current name.

A batch is applied in memory and written with a handful of bulk statements: the rows the
batch touches are loaded once, each event changes them, and they are upserted at the end.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from eventstore.store import RecordedEvent
from eventstore.subscriptions import BatchProjection, handles
from eventstore.tables import upsert
from queries_app.models import OrderCustomerName, OrderSummary, OrderSummaryLine
from queries_app.projections.values import money, total_after_line_change, touched_ids

ORDER_FIELDS = [f.name for f in OrderSummary._meta.concrete_fields if not f.primary_key]


@dataclass(slots=True)
class Line:
    """An order line while a batch is applied: plain values (a model instance costs ~10x to make)."""

    sku: str
    quantity: int
    unit_price: Decimal


@dataclass(slots=True)
class LineRow:
    """A row of `OrderSummaryLine` to write (`upsert` reads the columns' attribute names)."""

    order_id: str
    sku: str
    quantity: int
    unit_price: Decimal


class OrderBatch:
    """The orders, lines and customer names one batch of events touches."""

    def __init__(self, events: Iterable[RecordedEvent]) -> None:
        ids = touched_ids(events)
        self.placed_here = ids.placed
        order_ids = ids.earlier_orders
        self.orders = {str(o.id): o for o in OrderSummary.objects.filter(id__in=order_ids)} if order_ids else {}
        self.lines: dict[str, dict[str, Line]] = defaultdict(dict)
        if self.orders:
            rows = OrderSummaryLine.objects.filter(order_id__in=list(self.orders))
            for order_id, sku, quantity, unit_price in rows.values_list("order_id", "sku", "quantity", "unit_price"):
                self.lines[str(order_id)][sku] = Line(sku, quantity, unit_price)
        self.names = {
            str(c): n for c, n in OrderCustomerName.objects.filter(customer_id__in=ids.customers).values_list()
        }
        self.changed_names: set[str] = set()
        self.renamed: dict[str, str] = {}
        self.changed_orders: set[str] = set()
        self.changed_lines: set[str] = set()

    def order(self, event: RecordedEvent) -> OrderSummary:
        try:
            order = self.orders[event.stream_id]
        except KeyError:
            raise LookupError(f"{event.event_type} for order {event.stream_id}, which was never placed") from None
        order.updated_at, order.version = event.recorded_at, event.version
        self.changed_orders.add(event.stream_id)
        return order

    def save(self) -> None:
        if self.changed_names:
            upsert(
                OrderCustomerName,
                [OrderCustomerName(customer_id=c, name=self.names[c]) for c in self.changed_names],
                conflict_fields=["customer_id"],
                update_fields=["name"],
            )
        for customer_id, name in self.renamed.items():
            # Orders of this customer that this batch did not load.
            OrderSummary.objects.filter(customer_id=customer_id).exclude(customer_name=name).update(customer_name=name)
        if self.changed_orders:
            upsert(
                OrderSummary,
                [self.orders[o] for o in self.changed_orders],
                conflict_fields=["id"],
                update_fields=ORDER_FIELDS,
            )
        if self.changed_lines:
            replaced = self.changed_lines - self.placed_here
            if replaced:
                OrderSummaryLine.objects.filter(order_id__in=list(replaced)).delete()
            upsert(
                OrderSummaryLine,
                [
                    LineRow(o, line.sku, line.quantity, line.unit_price)
                    for o in self.changed_lines
                    for line in self.lines[o].values()
                ],
            )


def lines_changed(order: OrderSummary, event: RecordedEvent, sign: int) -> None:
    """Copy the order's total after a line event (`sign`: 1 added, -1 removed)."""
    order.total = total_after_line_change(event.data, order.total, sign)
    if event.data["total"] is None and order.status == OrderSummary.Status.CONFIRMED:
        # Schema-1 fallback: before `OrderReopened` existed, a line change of a confirmed order
        # reopened it with no event saying so. Rows of schema 2 are followed by `OrderReopened`.
        order.status = OrderSummary.Status.PLACED


class OrderSummaryProjection(BatchProjection):
    name = "order_summary"
    batch_class = OrderBatch
    read_models = (OrderSummary, OrderSummaryLine, OrderCustomerName)

    def reset(self) -> None:
        OrderSummaryLine.objects.all().delete()
        OrderSummary.objects.all().delete()
        OrderCustomerName.objects.all().delete()

    @handles("CustomerRegistered", "CustomerUpdated", "CustomerForgotten")
    def customer_named(self, batch: OrderBatch, event: RecordedEvent) -> None:
        # Forgotten: the name is scrubbed from every order (a rebuild reads it as None: blank too).
        customer_id, name = event.stream_id, event.data.get("name") or ""
        batch.names[customer_id] = name
        batch.changed_names.add(customer_id)
        if event.event_type != "CustomerRegistered":
            # Renaming a customer renames them on every order they have.
            batch.renamed[customer_id] = name
            for order_id, order in batch.orders.items():
                if str(order.customer_id) == customer_id:
                    order.customer_name = name
                    batch.changed_orders.add(order_id)

    @handles("OrderPlaced")
    def placed(self, batch: OrderBatch, event: RecordedEvent) -> None:
        lines = event.data["lines"]
        customer_id = event.data["customer_id"]
        batch.orders[event.stream_id] = OrderSummary(
            id=event.stream_id,
            customer_id=customer_id,
            customer_name=batch.names.get(customer_id, ""),
            item_count=sum(int(line["quantity"]) for line in lines),
            total=money(event.data["total"]),  # schema 2; the store upcasts schema-1 rows
            status=OrderSummary.Status.PLACED,
            placed_at=event.recorded_at,
            updated_at=event.recorded_at,
            version=event.version,
        )
        batch.lines[event.stream_id] = {
            line["sku"]: Line(line["sku"], int(line["quantity"]), money(line["unit_price"])) for line in lines
        }
        batch.changed_orders.add(event.stream_id)
        batch.changed_lines.add(event.stream_id)

    @handles("ItemAdded")
    def item_added(self, batch: OrderBatch, event: RecordedEvent) -> None:
        order = batch.order(event)
        sku, quantity = event.data["sku"], int(event.data["quantity"])
        lines = batch.lines[event.stream_id]
        if sku in lines:
            lines[sku].quantity += quantity
        else:
            lines[sku] = Line(sku, quantity, money(event.data["unit_price"]))
        order.item_count += quantity
        lines_changed(order, event, 1)
        batch.changed_lines.add(event.stream_id)

    @handles("ItemRemoved")
    def item_removed(self, batch: OrderBatch, event: RecordedEvent) -> None:
        order = batch.order(event)
        batch.lines[event.stream_id].pop(event.data["sku"], None)
        order.item_count -= int(event.data["quantity"])
        lines_changed(order, event, -1)
        batch.changed_lines.add(event.stream_id)

    @handles("OrderConfirmed")
    def confirmed(self, batch: OrderBatch, event: RecordedEvent) -> None:
        batch.order(event).status = OrderSummary.Status.CONFIRMED

    @handles("OrderReopened")
    def reopened(self, batch: OrderBatch, event: RecordedEvent) -> None:
        batch.order(event).status = OrderSummary.Status.PLACED

    @handles("OrderShipped")
    def shipped(self, batch: OrderBatch, event: RecordedEvent) -> None:
        batch.order(event).status = OrderSummary.Status.SHIPPED

    @handles("OrderCancelled")
    def cancelled(self, batch: OrderBatch, event: RecordedEvent) -> None:
        order = batch.order(event)
        order.status = OrderSummary.Status.CANCELLED
        order.cancel_reason = event.data["reason"]

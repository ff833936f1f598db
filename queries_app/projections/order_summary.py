"""`OrderSummaryProjection`: keeps `OrderSummary` and its lines, with the customer's current name.

A batch is applied in memory and written with a handful of bulk statements: the rows the
batch touches are loaded once, each event changes them, and they are upserted at the end.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from eventstore.row_batches import ChildRows, Rows, RowTable
from eventstore.store import RecordedEvent
from eventstore.subscriptions import BatchProjection, handles
from queries_app.models import OrderCustomerName, OrderSummary, OrderSummaryLine
from queries_app.projections.values import money, total_after_line_change, touched_ids


@dataclass(slots=True)
class OrderRow:
    """A row of `OrderSummary` while a batch is applied."""

    id: str
    customer_id: str
    customer_name: str
    item_count: int
    total: Decimal
    status: str
    cancel_reason: str
    placed_at: datetime
    updated_at: datetime
    version: int


@dataclass(slots=True)
class LineRow:
    """A row of `OrderSummaryLine`: an order's line."""

    order_id: str
    sku: str
    quantity: int
    unit_price: Decimal


@dataclass(slots=True)
class NameRow:
    """A row of `OrderCustomerName`."""

    customer_id: str
    name: str


ORDERS = RowTable(OrderSummary, OrderRow, key="id", noun="order", missing="which was never placed")
LINES = RowTable(OrderSummaryLine, LineRow, key="sku")  # per order
NAMES = RowTable(OrderCustomerName, NameRow, key="customer_id")


class OrderBatch:
    """The orders, lines and customer names one batch of events touches."""

    def __init__(self, events: Iterable[RecordedEvent]) -> None:
        ids = touched_ids(events)
        self.orders = Rows(ORDERS, ids.earlier_orders)
        self.lines = ChildRows(LINES, list(self.orders), parent="order_id")
        self.names = Rows(NAMES, ids.customers)
        self.renamed: dict[str, str] = {}

    def order(self, event: RecordedEvent) -> OrderRow:
        order = self.orders.change(event.stream_id, event)
        order.updated_at, order.version = event.recorded_at, event.version
        return order

    def save(self) -> None:
        self.names.save()
        for customer_id, name in self.renamed.items():
            # Orders of this customer that this batch did not load.
            OrderSummary.objects.filter(customer_id=customer_id).exclude(customer_name=name).update(customer_name=name)
        self.orders.save()
        self.lines.save()


def lines_changed(order: OrderRow, event: RecordedEvent, sign: int) -> None:
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

    @handles("CustomerRegistered", "CustomerUpdated", "CustomerForgotten")
    def customer_named(self, batch: OrderBatch, event: RecordedEvent) -> None:
        # Forgotten: the name is scrubbed from every order (a rebuild reads it as None: blank too).
        customer_id, name = event.stream_id, event.data.get("name") or ""
        batch.names.add(customer_id, NameRow(customer_id, name))
        if event.event_type != "CustomerRegistered":
            # Renaming a customer renames them on every order they have.
            batch.renamed[customer_id] = name
            for order_id, order in batch.orders.items():
                if order.customer_id == customer_id:
                    order.customer_name = name
                    batch.orders.mark(order_id)

    @handles("OrderPlaced")
    def placed(self, batch: OrderBatch, event: RecordedEvent) -> None:
        lines = event.data["lines"]
        customer_id = event.data["customer_id"]
        known = batch.names.get(customer_id)
        batch.orders.add(
            event.stream_id,
            OrderRow(
                id=event.stream_id,
                customer_id=customer_id,
                customer_name=known.name if known else "",
                item_count=sum(int(line["quantity"]) for line in lines),
                total=money(event.data["total"]),  # schema 2; the store upcasts schema-1 rows
                status=OrderSummary.Status.PLACED,
                cancel_reason="",
                placed_at=event.recorded_at,
                updated_at=event.recorded_at,
                version=event.version,
            ),
        )
        batch.lines.new(
            event.stream_id,
            {
                line["sku"]: LineRow(event.stream_id, line["sku"], int(line["quantity"]), money(line["unit_price"]))
                for line in lines
            },
        )

    @handles("ItemAdded")
    def item_added(self, batch: OrderBatch, event: RecordedEvent) -> None:
        order = batch.order(event)
        sku, quantity = event.data["sku"], int(event.data["quantity"])
        lines = batch.lines.change(event.stream_id)
        if sku in lines:
            lines[sku].quantity += quantity
        else:
            lines[sku] = LineRow(event.stream_id, sku, quantity, money(event.data["unit_price"]))
        order.item_count += quantity
        lines_changed(order, event, 1)

    @handles("ItemRemoved")
    def item_removed(self, batch: OrderBatch, event: RecordedEvent) -> None:
        order = batch.order(event)
        batch.lines.change(event.stream_id).pop(event.data["sku"], None)
        order.item_count -= int(event.data["quantity"])
        lines_changed(order, event, -1)

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

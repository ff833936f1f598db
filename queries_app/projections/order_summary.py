"""`OrderSummaryProjection`: keeps `OrderSummary` and its lines, with the customer's current name."""

from django.db.models import F

from eventstore.store import RecordedEvent
from eventstore.subscriptions import Subscriber, handles
from queries_app.models import OrderCustomerName, OrderSummary, OrderSummaryLine
from queries_app.projections.values import line_amount, lines_total, money


class OrderSummaryProjection(Subscriber):
    name = "order_summary"

    def reset(self) -> None:
        OrderSummaryLine.objects.all().delete()
        OrderSummary.objects.all().delete()
        OrderCustomerName.objects.all().delete()

    @handles("CustomerRegistered", "CustomerUpdated")
    def customer_named(self, event: RecordedEvent) -> None:
        name = event.data["name"]
        OrderCustomerName.objects.update_or_create(customer_id=event.stream_id, defaults={"name": name})
        if event.event_type == "CustomerUpdated":
            # Renaming a customer renames them on every order they have.
            OrderSummary.objects.filter(customer_id=event.stream_id).exclude(customer_name=name).update(
                customer_name=name
            )

    @handles("OrderPlaced")
    def placed(self, event: RecordedEvent) -> None:
        lines = event.data["lines"]
        customer_id = event.data["customer_id"]
        customer = OrderCustomerName.objects.filter(customer_id=customer_id).first()
        order = OrderSummary.objects.create(
            id=event.stream_id,
            customer_id=customer_id,
            customer_name=customer.name if customer else "",
            item_count=sum(int(line["quantity"]) for line in lines),
            total=lines_total(lines),
            status=OrderSummary.Status.PLACED,
            placed_at=event.recorded_at,
            updated_at=event.recorded_at,
            version=event.version,
        )
        OrderSummaryLine.objects.bulk_create(
            OrderSummaryLine(
                order=order, sku=line["sku"], quantity=line["quantity"], unit_price=money(line["unit_price"])
            )
            for line in lines
        )

    @handles("ItemAdded")
    def item_added(self, event: RecordedEvent) -> None:
        sku, quantity = event.data["sku"], int(event.data["quantity"])
        line, created = OrderSummaryLine.objects.get_or_create(
            order_id=event.stream_id,
            sku=sku,
            defaults={"quantity": quantity, "unit_price": money(event.data["unit_price"])},
        )
        if not created:
            OrderSummaryLine.objects.filter(pk=line.pk).update(quantity=F("quantity") + quantity)
        self._touch(event, item_count=F("item_count") + quantity, total=F("total") + line_amount(event.data))

    @handles("ItemRemoved")
    def item_removed(self, event: RecordedEvent) -> None:
        OrderSummaryLine.objects.filter(order_id=event.stream_id, sku=event.data["sku"]).delete()
        quantity = int(event.data["quantity"])
        self._touch(event, item_count=F("item_count") - quantity, total=F("total") - line_amount(event.data))

    @handles("OrderShipped")
    def shipped(self, event: RecordedEvent) -> None:
        self._touch(event, status=OrderSummary.Status.SHIPPED)

    @handles("OrderCancelled")
    def cancelled(self, event: RecordedEvent) -> None:
        self._touch(event, status=OrderSummary.Status.CANCELLED, cancel_reason=event.data["reason"])

    def _touch(self, event: RecordedEvent, **changes) -> None:
        OrderSummary.objects.filter(id=event.stream_id).update(
            updated_at=event.recorded_at, version=event.version, **changes
        )

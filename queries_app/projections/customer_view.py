"""`CustomerViewProjection`: keeps `CustomerView` (name, email, order count, total spent)."""

from django.db.models import F

from eventstore.store import RecordedEvent
from eventstore.subscriptions import Subscriber, handles
from queries_app.models import CustomerOrderTotal, CustomerView
from queries_app.projections.values import line_amount, lines_total


class CustomerViewProjection(Subscriber):
    name = "customer_view"

    def reset(self) -> None:
        CustomerOrderTotal.objects.all().delete()
        CustomerView.objects.all().delete()

    @handles("CustomerRegistered")
    def registered(self, event: RecordedEvent) -> None:
        CustomerView.objects.create(
            id=event.stream_id,
            name=event.data["name"],
            email=event.data["email"],
            registered_at=event.recorded_at,
            updated_at=event.recorded_at,
            version=event.version,
        )

    @handles("CustomerUpdated")
    def updated(self, event: RecordedEvent) -> None:
        CustomerView.objects.filter(id=event.stream_id).update(
            name=event.data["name"], email=event.data["email"], updated_at=event.recorded_at, version=event.version
        )

    @handles("OrderPlaced")
    def order_placed(self, event: RecordedEvent) -> None:
        total = lines_total(event.data["lines"])
        customer_id = event.data["customer_id"]
        CustomerOrderTotal.objects.create(order_id=event.stream_id, customer_id=customer_id, total=total)
        CustomerView.objects.filter(id=customer_id).update(
            order_count=F("order_count") + 1, total_spent=F("total_spent") + total, updated_at=event.recorded_at
        )

    @handles("ItemAdded")
    def item_added(self, event: RecordedEvent) -> None:
        self._change_total(event, line_amount(event.data))

    @handles("ItemRemoved")
    def item_removed(self, event: RecordedEvent) -> None:
        self._change_total(event, -line_amount(event.data))

    @handles("OrderCancelled")
    def order_cancelled(self, event: RecordedEvent) -> None:
        order = CustomerOrderTotal.objects.get(order_id=event.stream_id)
        order.cancelled = True
        order.save(update_fields=["cancelled"])
        CustomerView.objects.filter(id=order.customer_id).update(
            total_spent=F("total_spent") - order.total, updated_at=event.recorded_at
        )

    def _change_total(self, event: RecordedEvent, amount) -> None:
        order = CustomerOrderTotal.objects.get(order_id=event.stream_id)
        order.total += amount
        order.save(update_fields=["total"])
        if not order.cancelled:
            CustomerView.objects.filter(id=order.customer_id).update(
                total_spent=F("total_spent") + amount, updated_at=event.recorded_at
            )

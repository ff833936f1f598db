"""`OrderFulfilment`: the saga that reserves stock for orders, then confirms or cancels them.

On every change of an order (placed, a line added or removed, reopened, shipped, cancelled) it
loads the order as it is now and brings the stock in line with it. It decides nothing the order
decided: the status it acts on is the aggregate's, and a line change of a confirmed order comes
with the order's own `OrderReopened`, which puts it back among the `placed`:

- `placed` (or reopened): hold each line's quantity of its product, in sku order, and release
  lines removed since; when every line is held, confirm the order; when one is refused (an
  unknown sku, or not enough available), cancel the order as "out of stock" and release
  whatever was held for it;
- `cancelled`: release what is held for it on every sku it ever had;
- `shipped`: turn what is held for its lines into a deduction from stock on hand;
- `confirmed`: nothing (it is only confirmed once its stock is held).

Every step is idempotent by construction, so running it twice, or replaying the whole log,
writes nothing new: a reservation is set to an exact quantity per order, releasing or
shipping what is not held is no change, and confirming or cancelling is only sent for a
`placed` order, with the version the saga decided on (a change in between makes the step
run again on the new state).
"""

import uuid
from typing import ClassVar

from commands_app.domain import commands as c
from commands_app.domain.order import CANCELLED, PLACED, SHIPPED, Order
from commands_app.domain.product import OutOfStock
from commands_app.framework.bus import CommandBus
from commands_app.framework.errors import AggregateNotFound
from commands_app.framework.process_manager import ProcessManager
from commands_app.framework.repository import AggregateRepository
from eventstore.store import RecordedEvent
from eventstore.subscriptions import handles

OUT_OF_STOCK = "out of stock"


class OrderFulfilment(ProcessManager):
    """Order placed -> stock reserved for each line -> order confirmed; or cancelled "out of stock"."""

    name = "order_fulfilment"
    user: ClassVar[str] = "saga:order-fulfilment"

    def command_bus(self) -> CommandBus:
        from commands_app.wiring import command_bus  # the bus is built from settings, on first use

        return command_bus()

    def aggregate_repository(self) -> AggregateRepository:
        from commands_app.wiring import aggregate_repository

        return aggregate_repository()

    @handles("OrderPlaced", "ItemAdded", "ItemRemoved", "OrderReopened", "OrderShipped", "OrderCancelled")
    def order_changed(self, event: RecordedEvent) -> None:
        order = self.aggregate_repository().load(Order, event.stream_id)
        if order.status == PLACED:
            self.reserve_or_cancel(order, event)
        elif order.status == CANCELLED:
            self.release_all(order, event)
        elif order.status == SHIPPED:
            self.ship_stock(order, event)

    def reserve_or_cancel(self, order: Order, cause: RecordedEvent) -> None:
        order_id = uuid.UUID(order.id)
        for sku in sorted(order.ordered_skus - set(order.lines)):
            self.release(sku, order, cause)  # lines removed since stock was held for them
        for sku, line in sorted(order.lines.items()):
            try:
                self.send(c.ReserveStock(sku=sku, order_id=order_id, quantity=line.quantity), cause)
            except (OutOfStock, AggregateNotFound):  # not enough available, or no such product
                self.send(c.CancelOrder(order_id=order_id, reason=OUT_OF_STOCK, expected_version=order.version), cause)
                self.release_all(order, cause)
                return
        if order.lines:  # an empty order waits for lines; there is nothing to fulfil yet
            self.send(c.ConfirmOrder(order_id=order_id, expected_version=order.version), cause)

    def release_all(self, order: Order, cause: RecordedEvent) -> None:
        for sku in sorted(order.ordered_skus):
            self.release(sku, order, cause)

    def release(self, sku: str, order: Order, cause: RecordedEvent) -> None:
        try:
            self.send(c.ReleaseStock(sku=sku, order_id=uuid.UUID(order.id)), cause)
        except AggregateNotFound:
            pass  # no such product: nothing was ever held there

    def ship_stock(self, order: Order, cause: RecordedEvent) -> None:
        for sku in sorted(order.ordered_skus):
            try:
                if sku in order.lines:
                    self.send(c.ShipReservedStock(sku=sku, order_id=uuid.UUID(order.id)), cause)
                else:
                    self.send(c.ReleaseStock(sku=sku, order_id=uuid.UUID(order.id)), cause)
            except AggregateNotFound:
                pass

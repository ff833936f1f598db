"""`ProductStockProjection`: keeps `ProductStock` (name, price, on sale or not, stock figures) per product.

Like the other projections, a batch is applied in memory to the rows it touches, which are
loaded once and upserted at the end. Stock events carry changes, not totals: a reservation
adds to `reserved`, a release takes from it, a shipment takes from both `reserved` and `on_hand`.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from eventstore.row_batches import Rows, RowTable
from eventstore.store import RecordedEvent
from eventstore.subscriptions import BatchProjection, handles
from queries_app.models import ProductStock
from queries_app.projections.values import money


@dataclass(slots=True)
class ProductRow:
    """A row of `ProductStock` while a batch is applied."""

    sku: str
    stream_id: str
    name: str
    price: Decimal
    added_at: datetime
    updated_at: datetime
    version: int
    on_hand: int = 0
    reserved: int = 0
    available: int = 0
    discontinued: bool = False
    written_off: int = 0


# Found by stream id (how events name a product), written on the sku (the primary key).
PRODUCTS = RowTable(
    ProductStock, ProductRow, key="stream_id", conflict="sku", noun="product", missing="which was never added"
)


class ProductBatch:
    """The products one batch of events touches, by stream id."""

    def __init__(self, events: Iterable[RecordedEvent]) -> None:
        events = list(events)
        added = {e.stream_id for e in events if e.event_type == "ProductAdded"}
        self.products = Rows(PRODUCTS, {e.stream_id for e in events} - added)

    def product(self, event: RecordedEvent) -> ProductRow:
        product = self.products.change(event.stream_id, event)
        product.updated_at, product.version = event.recorded_at, event.version
        return product

    def move(self, event: RecordedEvent, on_hand: int = 0, reserved: int = 0) -> None:
        product = self.product(event)
        product.on_hand += on_hand
        product.reserved += reserved
        product.available = product.on_hand - product.reserved

    def save(self) -> None:
        self.products.save()


class ProductStockProjection(BatchProjection):
    """Products and their stock figures, from the Product streams' events."""

    name = "product_stock"
    batch_class = ProductBatch
    read_models = (ProductStock,)

    @handles("ProductAdded")
    def added(self, batch: ProductBatch, event: RecordedEvent) -> None:
        batch.products.add(
            event.stream_id,
            ProductRow(
                sku=event.data["sku"],
                stream_id=event.stream_id,
                name=event.data["name"],
                price=money(event.data["price"]),
                added_at=event.recorded_at,
                updated_at=event.recorded_at,
                version=event.version,
            ),
        )

    @handles("ProductRestocked")
    def restocked(self, batch: ProductBatch, event: RecordedEvent) -> None:
        batch.move(event, on_hand=int(event.data["quantity"]))

    @handles("ProductPriceChanged")
    def price_changed(self, batch: ProductBatch, event: RecordedEvent) -> None:
        batch.product(event).price = money(event.data["price"])

    @handles("ProductRenamed")
    def renamed(self, batch: ProductBatch, event: RecordedEvent) -> None:
        batch.product(event).name = event.data["name"]

    @handles("ProductDiscontinued")
    def discontinued(self, batch: ProductBatch, event: RecordedEvent) -> None:
        batch.product(event).discontinued = True

    @handles("StockWrittenOff")
    def written_off(self, batch: ProductBatch, event: RecordedEvent) -> None:
        quantity = int(event.data["quantity"])
        batch.move(event, on_hand=-quantity)
        batch.product(event).written_off += quantity

    @handles("StockReserved")
    def reserved(self, batch: ProductBatch, event: RecordedEvent) -> None:
        batch.move(event, reserved=int(event.data["quantity"]))

    @handles("StockReleased")
    def released(self, batch: ProductBatch, event: RecordedEvent) -> None:
        batch.move(event, reserved=-int(event.data["quantity"]))

    @handles("StockShipped")
    def shipped(self, batch: ProductBatch, event: RecordedEvent) -> None:
        quantity = int(event.data["quantity"])
        batch.move(event, on_hand=-quantity, reserved=-quantity)

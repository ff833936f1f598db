"""`ProductStockProjection`: keeps `ProductStock` (name, price, on sale or not, stock figures) per product.

Like the other projections, a batch is applied in memory to the rows it touches, which are
loaded once and upserted at the end. Stock events carry changes, not totals: a reservation
adds to `reserved`, a release takes from it, a shipment takes from both `reserved` and `on_hand`.
"""

from collections.abc import Iterable

from eventstore.store import RecordedEvent
from eventstore.subscriptions import BatchProjection, handles
from eventstore.tables import upsert
from queries_app.models import ProductStock
from queries_app.projections.values import money

PRODUCT_FIELDS = [f.name for f in ProductStock._meta.concrete_fields if not f.primary_key]


class ProductBatch:
    """The products one batch of events touches, by stream id."""

    def __init__(self, events: Iterable[RecordedEvent]) -> None:
        events = list(events)
        added = {e.stream_id for e in events if e.event_type == "ProductAdded"}
        earlier = {e.stream_id for e in events} - added
        self.products = {p.stream_id: p for p in ProductStock.objects.filter(stream_id__in=earlier)} if earlier else {}
        self.changed: set[str] = set()

    def product(self, event: RecordedEvent) -> ProductStock:
        try:
            product = self.products[event.stream_id]
        except KeyError:
            raise LookupError(f"{event.event_type} for product {event.stream_id}, which was never added") from None
        product.updated_at, product.version = event.recorded_at, event.version
        self.changed.add(event.stream_id)
        return product

    def move(self, event: RecordedEvent, on_hand: int = 0, reserved: int = 0) -> None:
        product = self.product(event)
        product.on_hand += on_hand
        product.reserved += reserved
        product.available = product.on_hand - product.reserved

    def save(self) -> None:
        if self.changed:
            upsert(
                ProductStock,
                [self.products[p] for p in self.changed],
                conflict_fields=["sku"],
                update_fields=PRODUCT_FIELDS,
            )


class ProductStockProjection(BatchProjection):
    """Products and their stock figures, from the Product streams' events."""

    name = "product_stock"
    batch_class = ProductBatch
    read_models = (ProductStock,)

    def reset(self) -> None:
        ProductStock.objects.all().delete()

    @handles("ProductAdded")
    def added(self, batch: ProductBatch, event: RecordedEvent) -> None:
        batch.products[event.stream_id] = ProductStock(
            sku=event.data["sku"],
            stream_id=event.stream_id,
            name=event.data["name"],
            price=money(event.data["price"]),
            added_at=event.recorded_at,
            updated_at=event.recorded_at,
            version=event.version,
        )
        batch.changed.add(event.stream_id)

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

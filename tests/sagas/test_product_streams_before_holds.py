"""Product streams written before each order's hold had a stream of its own still load and decide.

Such a stream holds schema-1 stock events (`order_id`, `quantity`, nothing else) and may have
a schema-1 snapshot listing every open reservation. The rows are written here as that code
stored them, and never touched again: the upcaster and `Product.legacy_holds` do the rest.
"""

import uuid
from decimal import Decimal

import pytest

from commands_app.domain import commands as c
from commands_app.domain.product import Product, product_stream_id
from commands_app.replay import aggregate_state
from commands_app.wiring import aggregate_repository, command_bus
from eventstore.models import Checkpoint, Event, Snapshot
from eventstore.operations import rebuild
from eventstore.store import EventStore
from eventstore.subscriptions import get_subscriber
from queries_app.models import ProductStock
from tests.api.helpers import project
from tests.sagas.shop import customer, held, place, run_saga, status, stock

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

STREAM = product_stream_id("OLD")


def old_product_stream(*reservations: tuple[str, str, int]) -> None:
    """ProductAdded, 10 on hand, then schema-1 stock events `(event_type, order_id, quantity)`, and
    the schema-1 snapshot the old code kept (every open reservation in it)."""
    rows = [
        ("ProductAdded", {"sku": "OLD", "name": "An old product", "price": "2.50"}),
        ("ProductRestocked", {"quantity": 10}),
    ]
    rows += [
        (event_type, {"order_id": order_id, "quantity": quantity}) for event_type, order_id, quantity in reservations
    ]
    for version, (event_type, data) in enumerate(rows, start=1):
        Event.objects.create(
            stream_type="Product", stream_id=STREAM, version=version, event_type=event_type, schema_version=1, data=data
        )
    open_holds: dict[str, int] = {}
    for event_type, order_id, quantity in reservations:
        open_holds[order_id] = open_holds.get(order_id, 0) + (quantity if event_type == "StockReserved" else -quantity)
    state = {"sku": "OLD", "name": "An old product", "price": "2.50", "on_hand": 10, "reservations": open_holds}
    Snapshot.objects.create(stream_id=STREAM, stream_type="Product", version=len(rows), schema_version=1, state=state)


def test_an_old_stream_loads_with_its_holds_and_ignores_its_old_snapshot():
    kept, gone = str(uuid.uuid4()), str(uuid.uuid4())
    old_product_stream(("StockReserved", kept, 3), ("StockReserved", gone, 2), ("StockReleased", gone, 2))

    product = stock("OLD")
    assert (product.version, product.on_hand, product.reserved, product.available) == (5, 10, 3, 7)
    assert product.legacy_holds == {kept: 3}
    assert (held("OLD", kept), held("OLD", gone)) == (3, 0)
    assert aggregate_state(STREAM, EventStore().load(STREAM))["legacy_holds"] == {kept: 3}  # time travel


def test_an_old_hold_decides_like_any_other_and_moves_to_its_own_stream_when_it_changes():
    kept, other = str(uuid.uuid4()), str(uuid.uuid4())
    old_product_stream(("StockReserved", kept, 3), ("StockReserved", other, 5))
    bus, before = command_bus(), Event.objects.count()

    assert bus.dispatch(c.ReserveStock(sku="OLD", order_id=uuid.UUID(kept), quantity=3)).events == []
    assert bus.dispatch(c.ReleaseStock(sku="OLD", order_id=uuid.uuid4())).events == []  # never held
    assert Event.objects.count() == before

    result = bus.dispatch(c.ReserveStock(sku="OLD", order_id=uuid.UUID(kept), quantity=5))
    assert result.events == ["StockReserved", "StockHoldChanged"]
    assert (stock("OLD").reserved, stock("OLD").legacy_holds, held("OLD", kept)) == (10, {other: 5}, 5)
    assert bus.dispatch(c.ReserveStock(sku="OLD", order_id=uuid.UUID(kept), quantity=5)).events == []

    assert bus.dispatch(c.ShipReservedStock(sku="OLD", order_id=uuid.UUID(other))).events == [
        "StockShipped",
        "StockHoldChanged",
    ]
    product = stock("OLD")
    assert (product.on_hand, product.reserved, product.legacy_holds, held("OLD", other)) == (5, 5, {}, 0)
    # The old rows are as they were written.
    assert set(Event.objects.filter(stream_id=STREAM, version__lte=4).values_list("schema_version", flat=True)) == {1}


def test_the_saga_finishes_an_order_reserved_before_the_change_exactly_once():
    order = place(customer())  # empty: the saga has nothing to reserve yet
    # The old saga reserved for it (the product stream is written by hand, so before the line), then died
    # before confirming.
    old_product_stream(("StockReserved", order, 3))
    command_bus().dispatch(c.AddItem(order_id=uuid.UUID(order), sku="OLD", quantity=3, unit_price=Decimal("2.50")))

    before, head = Event.objects.count(), EventStore().head()
    run_saga()
    caused = Event.objects.filter(position__gt=head)
    assert status(order) == "confirmed" and Event.objects.count() == before + 1  # OrderConfirmed, nothing else
    assert [e.event_type for e in caused] == ["OrderConfirmed"]

    Checkpoint.objects.filter(name="order_fulfilment").update(position=0)
    run_saga(batch_size=3)  # the whole history again, over the old product stream: nothing new
    assert Event.objects.count() == before + 1

    command_bus().dispatch(c.ShipOrder(order_id=uuid.UUID(order)))
    run_saga()
    run_saga()
    assert status(order) == "shipped"
    shipped = Event.objects.filter(stream_id=STREAM, event_type="StockShipped").get()
    assert (shipped.schema_version, shipped.data["quantity"], shipped.data["held"]) == (2, 3, 0)
    assert (stock("OLD").on_hand, stock("OLD").reserved, held("OLD", order)) == (7, 0, 0)

    project()
    view = ProductStock.objects.get(sku="OLD")
    assert (view.on_hand, view.reserved, view.available) == (7, 0, 7)
    rebuild(get_subscriber("product_stock"))  # from the log alone, old and new rows alike
    view = ProductStock.objects.get(sku="OLD")
    assert (view.on_hand, view.reserved, view.available) == (7, 0, 7)


def test_a_new_snapshot_of_an_old_stream_keeps_its_legacy_holds(settings):
    settings.EVENTSTORE_SNAPSHOT_EVERY = {"Order": 50, "Customer": 50, "Product": 5}
    kept = str(uuid.uuid4())
    old_product_stream(("StockReserved", kept, 3))  # version 3; the next two commands cross 5
    command_bus().dispatch(c.RestockProduct(sku="OLD", quantity=1))
    command_bus().dispatch(c.RestockProduct(sku="OLD", quantity=1))

    snapshot = Snapshot.objects.get(stream_id=STREAM, schema_version=Product.snapshot_schema_version)
    assert (snapshot.version, snapshot.state["reserved"], snapshot.state["legacy_holds"]) == (5, 3, {kept: 3})
    assert vars(stock("OLD")) == vars(aggregate_repository().replay(Product(STREAM), EventStore().load(STREAM)))

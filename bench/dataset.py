"""Bulk test data: event rows streamed into the log with COPY, batch by batch.

Setup is not what we measure, so it bypasses the command bus; but every row's data is
made by the domain's own serializer, so the log reads back exactly as if commands had
written it. Rows are generated lazily and copied in batches: memory stays flat at any size.
"""

import itertools
import json
import random
import uuid
from collections import OrderedDict
from collections.abc import Collection, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.db import connection, transaction

from commands_app.domain.customer import CustomerRegistered, CustomerUpdated
from commands_app.domain.order import ItemAdded, OrderLine, OrderPlaced, OrderShipped
from commands_app.domain.product import (
    ProductAdded,
    ProductPriceChanged,
    ProductRestocked,
    StockReleased,
    StockReserved,
    StockShipped,
    product_stream_id,
)
from commands_app.domain.registry import domain_events
from eventstore.models import Event
from eventstore.personal import cipher
from eventstore.personal.keys import DataKey, master_keys, wrap
from eventstore.personal.sealing import seal_fields
from eventstore.store import RecordedEvent

BATCH = 5_000
COLUMNS = RecordedEvent.COLUMNS[1:]  # all but position, which the database assigns
Row = tuple


class Clock:
    """Recorded-at times a millisecond apart, so ordering by time looks like real traffic."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC) - timedelta(days=30)

    def tick(self) -> datetime:
        self.now += timedelta(milliseconds=1)
        return self.now


def event_row(
    stream_type: str, stream_id: str, version: int, event: object, at: datetime, keys: "SetupKeys | None" = None
) -> Row:
    """One row as the repository would store it; with `keys`, its personal fields sealed under them."""
    name = domain_events.type_name(event)
    metadata = {"correlation_id": str(uuid.uuid4()), "causation_id": None, "command": "bench-setup", "user": "bench"}
    data = domain_events.serialize(event)
    if keys is not None and (personal := domain_events.personal_fields(name)):
        data = seal_fields(data, personal, stream_id, new_subject=version == 1, store=keys)
    return (
        uuid.uuid4(),
        stream_type,
        stream_id,
        version,
        name,
        domain_events.schema_version(name),
        json.dumps(data),
        json.dumps(metadata),
        at,
    )


def copy_rows(rows: Iterable[Row]) -> int:
    """COPY `rows` into the event table, one transaction per batch; returns how many."""
    table = Event._meta.db_table
    total = 0
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, BATCH)):
        statement = f"COPY {table} ({', '.join(COLUMNS)}) FROM STDIN"
        with transaction.atomic(), connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
            for row in batch:
                copy.write_row(row)
        total += len(batch)
    return total


def lines(rng: random.Random, count: int) -> tuple[OrderLine, ...]:
    return tuple(
        OrderLine(
            sku=f"SKU-{rng.randrange(10_000):05d}-{i}",
            quantity=rng.randint(1, 5),
            unit_price=Decimal(rng.randint(100, 99_999)) / 100,
        )
        for i in range(count)
    )


def mixed_log(total: int, seed: int = 7) -> Iterator[Row]:
    """`total` events: 1% customers registering, then orders placed (85%), items added
    (10%) and orders shipped (5%), spread over the customers, like a shop's history."""
    rng = random.Random(seed)
    clock = Clock()
    customers = [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(max(1, total // 100))]
    for i, customer_id in enumerate(customers):
        yield event_row(
            "Customer", customer_id, 1, CustomerRegistered(name=f"Customer {i}", email=f"c{i}@ex.com"), clock.tick()
        )
    # The newest 1,000 open orders: their versions and totals (line events carry the total after them).
    open_orders: OrderedDict[str, tuple[int, Decimal]] = OrderedDict()
    for n in range(total - len(customers)):
        roll = rng.random()
        if roll < 0.85 or len(open_orders) < 10:
            order_id = str(uuid.UUID(int=rng.getrandbits(128)))
            placed = OrderPlaced(customer_id=uuid.UUID(rng.choice(customers)), lines=lines(rng, rng.randint(1, 3)))
            yield event_row("Order", order_id, 1, placed, clock.tick())
            open_orders[order_id] = (1, placed.total or Decimal(0))
            if len(open_orders) > 1_000:
                open_orders.popitem(last=False)
            continue
        order_id = rng.choice(list(itertools.islice(reversed(open_orders), 50)))
        version, order_total = open_orders[order_id]
        version += 1
        event: object
        if roll < 0.95:
            quantity = rng.randint(1, 5)
            order_total += quantity * Decimal("9.99")
            event = ItemAdded(sku=f"ADD-{n}", quantity=quantity, unit_price=Decimal("9.99"), total=order_total)
            open_orders[order_id] = (version, order_total)
        else:
            event = OrderShipped()
            del open_orders[order_id]
        yield event_row("Order", order_id, version, event, clock.tick())


class SetupKeys:
    """A `KeyStore` for setup: a new data key per subject, stored (wrapped by the master key, as
    `TableKeyStore` stores it) in the `DataKey` table a batch at a time. Reading and forgetting
    go through the service's own key store."""

    def __init__(self) -> None:
        self.master = master_keys()[0]
        self.keys: dict[str, bytes] = {}  # every subject's, for its later events (32 bytes each)
        self.unsaved: list[str] = []

    def key_for_writing(self, subject: str, *, new: bool = False) -> bytes:
        if subject not in self.keys:
            self.keys[subject] = cipher.new_key()
            self.unsaved.append(subject)
        return self.keys[subject]

    def keys_for_reading(self, subjects: Collection[str]) -> dict[str, bytes]:
        raise NotImplementedError("setup only writes")

    def destroy(self, subject: str) -> bool:
        raise NotImplementedError("setup only writes")

    def save(self) -> None:
        rows = [
            DataKey(
                subject=subject,
                wrapped_key=wrap(self.master, subject, self.keys[subject]),
                master_key_id=self.master.key_id,
            )
            for subject in self.unsaved
        ]
        DataKey.objects.bulk_create(rows, batch_size=1000)
        self.unsaved.clear()


def customers_log(total: int, *, sealed: bool, seed: int = 5) -> Iterator[Row]:
    """`total` customer events: registrations (two in three), then changes of name or email to
    earlier customers. `sealed`: name and email sealed under each customer's own data key, as
    the repository writes them (the keys stored in `DataKey`); else in the clear."""
    rng = random.Random(seed)
    clock = Clock()
    keys = SetupKeys() if sealed else None
    versions: dict[str, int] = {}
    customers: list[str] = []
    for n in range(total):
        event: object
        if n % 3 != 2 or not customers:
            customer_id = str(uuid.UUID(int=rng.getrandbits(128)))
            customers.append(customer_id)
            event = CustomerRegistered(name=f"Customer {n}", email=f"c{n}@example.com")
        else:
            customer_id = rng.choice(customers)
            event = CustomerUpdated(name=f"Customer {n} renamed", email=None if n % 2 else f"c{n}@example.org")
        versions[customer_id] = versions.get(customer_id, 0) + 1
        row = event_row("Customer", customer_id, versions[customer_id], event, clock.tick(), keys)
        if keys is not None and len(keys.unsaved) >= BATCH:
            keys.save()
        yield row
    if keys is not None:
        keys.save()


def product_log(total: int, seed: int = 17) -> Iterator[Row]:
    """`total` Product-stream events: 1% products added, then mostly stock reserved, shipped and
    released, restocked when it runs short, and now and then a new price, over the products."""
    rng = random.Random(seed)
    clock = Clock()
    skus = [f"BENCH-{i:06d}" for i in range(max(1, total // 100))]
    versions = dict.fromkeys(skus, 1)
    stock = {sku: [0, 0] for sku in skus}  # on hand, reserved: every event keeps them valid
    for sku in skus:
        added = ProductAdded(sku=sku, name=f"Product {sku}", price=Decimal("9.99"))
        yield event_row("Product", product_stream_id(sku), 1, added, clock.tick())
    for _ in range(total - len(skus)):
        sku = rng.choice(skus)
        versions[sku] += 1
        on_hand, reserved = stock[sku]
        roll, quantity, order_id = rng.random(), rng.randint(1, 3), uuid.UUID(int=rng.getrandbits(128))
        event: object
        if roll < 0.01:
            event = ProductPriceChanged(price=Decimal(rng.randint(100, 9_999)) / 100, previous_price=Decimal("9.99"))
        elif roll < 0.5 and on_hand - reserved >= quantity:
            event, stock[sku] = (
                StockReserved(order_id=order_id, quantity=quantity, held=quantity),
                [on_hand, reserved + quantity],
            )
        elif roll < 0.8 and reserved >= quantity:
            event, stock[sku] = (
                StockShipped(order_id=order_id, quantity=quantity, held=0),
                [on_hand - quantity, reserved - quantity],
            )
        elif reserved >= quantity:
            event, stock[sku] = (
                StockReleased(order_id=order_id, quantity=quantity, held=0),
                [on_hand, reserved - quantity],
            )
        else:
            event, stock[sku] = ProductRestocked(quantity=20), [on_hand + 20, reserved]
        yield event_row("Product", product_stream_id(sku), versions[sku], event, clock.tick())


def orders_with_events(order_ids: Iterable[str], events_per_order: int, customer_id: str) -> Iterator[Row]:
    """Orders of exactly `events_per_order` events each: placed, then items added."""
    clock = Clock()
    rng = random.Random(11)
    for order_id in order_ids:
        placed = OrderPlaced(customer_id=uuid.UUID(customer_id), lines=lines(rng, 1))
        yield event_row("Order", order_id, 1, placed, clock.tick())
        total = placed.total or Decimal(0)
        for version in range(2, events_per_order + 1):
            total += Decimal("1.50")
            event = ItemAdded(sku=f"POOL-{version}", quantity=1, unit_price=Decimal("1.50"), total=total)
            yield event_row("Order", order_id, version, event, clock.tick())


def more_orders(count: int, customer_id: str, seed: int = 13) -> Iterator[Row]:
    """`count` more placed orders (to bring the query table up to its size)."""
    rng = random.Random(seed)
    clock = Clock()
    for _ in range(count):
        event = OrderPlaced(customer_id=uuid.UUID(customer_id), lines=lines(rng, rng.randint(1, 3)))
        yield event_row("Order", str(uuid.UUID(int=rng.getrandbits(128))), 1, event, clock.tick())


def fill_order_summaries(after_position: int) -> int:
    """Write the order rows of every OrderPlaced after `after_position`, in bulk, batch by batch."""
    from eventstore.store import EventStore
    from queries_app.models import OrderCustomerName, OrderSummary, OrderSummaryLine

    names = dict(OrderCustomerName.objects.values_list("customer_id", "name"))
    written, store = 0, EventStore()
    while batch := store.read_all(after_position, BATCH, ["OrderPlaced"]):
        orders, lines = [], []
        for event in batch:
            customer = uuid.UUID(event.data["customer_id"])
            rows = event.data["lines"]
            orders.append(
                OrderSummary(
                    id=event.stream_id,
                    customer_id=customer,
                    customer_name=names.get(customer, ""),
                    item_count=sum(int(line["quantity"]) for line in rows),
                    total=sum((int(line["quantity"]) * Decimal(line["unit_price"]) for line in rows), Decimal(0)),
                    status=OrderSummary.Status.PLACED,
                    placed_at=event.recorded_at,
                    updated_at=event.recorded_at,
                    version=event.version,
                )
            )
            lines += [
                OrderSummaryLine(
                    order_id=event.stream_id,
                    sku=line["sku"],
                    quantity=line["quantity"],
                    unit_price=Decimal(line["unit_price"]),
                )
                for line in rows
            ]
        with transaction.atomic():
            OrderSummary.objects.bulk_create(orders)
            OrderSummaryLine.objects.bulk_create(lines)
        written += len(orders)
        after_position = batch[-1].position
    return written

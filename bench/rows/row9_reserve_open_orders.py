"""Row 9: reserve-stock on a product with 100,000 open orders, against the same on one with 100.

A popular product with many open orders is a shop's normal case, so a reservation must not
cost more as they pile up. Both products are built the same way, differing only in how many
orders hold a unit: the events go straight through `EventStore.append` in bulk (thousands of
the product's reservations per append, each order's hold stream beside it, one transaction
per batch), not command by command, generated lazily so memory stays flat. The product's
snapshot at its last version is stored as the save path would have (checked against a replay
in batches). Then one client, in this process, sends `ReserveStock` for new orders through
the command bus, alternating between the two products trial by trial; each trial reports the
median latency of its commands.
"""

import itertools
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

from bench.context import Bench
from bench.dataset import copy_rows, event_row
from bench.report import RowResult, fmt
from bench.stats import alternate, median, percentile, ratio

BATCH = 2_000
SETUP_METADATA = {"correlation_id": None, "causation_id": None, "command": "bench-setup", "user": "bench"}


def new_event(event: object):  # noqa: ANN201 - Django-side import, kept lazy like the other rows
    from commands_app.domain.registry import domain_events
    from eventstore.store import NewEvent

    name = domain_events.type_name(event)
    return NewEvent(
        event_type=name,
        data=domain_events.serialize(event),
        metadata=SETUP_METADATA,
        schema_version=domain_events.schema_version(name),
    )


def order_ids(count: int, seed: int) -> Iterator[uuid.UUID]:
    return (uuid.UUID(int=(seed << 64) + n) for n in range(count))


def build_product(sku: str, open_orders: int, seed: int) -> int:
    """A product with `open_orders` orders holding one unit each; its stream's version."""
    from django.db import transaction

    from commands_app.domain.product import (
        ProductAdded,
        ProductRestocked,
        StockHoldChanged,
        StockReserved,
        product_stream_id,
        stock_hold_stream_id,
    )
    from eventstore.store import EventStore

    store, stream, at = EventStore(), product_stream_id(sku), datetime.now(UTC)
    with transaction.atomic():
        added = ProductAdded(sku=sku, name=f"Popular {sku}", price=Decimal("9.99"))
        restocked = ProductRestocked(quantity=open_orders + 1_000_000)
        version = store.append(stream, "Product", [new_event(added), new_event(restocked)], expected_version=0).version
    orders = order_ids(open_orders, seed)
    while chunk := list(itertools.islice(orders, BATCH)):
        with transaction.atomic():
            reserved = [new_event(StockReserved(order_id=o, quantity=1, held=1)) for o in chunk]
            version = store.append(stream, "Product", reserved, expected_version=version).version
            # One stream of one event per order: an append each would be most of the setup, so
            # they are COPYed in (the domain's serializer makes each row), in the same transaction.
            copy_rows(
                event_row(
                    "StockHold", stock_hold_stream_id(sku, o), 1, StockHoldChanged(sku=sku, order_id=o, held=1), at
                )
                for o in chunk
            )
    return version


def store_snapshot(sku: str, open_orders: int) -> None:
    """The snapshot the save path keeps, at the stream's last version, checked against a replay in batches."""
    from commands_app.domain.product import Product, product_stream_id
    from commands_app.domain.registry import domain_events
    from commands_app.framework.repository import AggregateRepository
    from eventstore.snapshots import SnapshotStore
    from eventstore.store import EventStore

    store, stream = EventStore(), product_stream_id(sku)
    replayer = AggregateRepository(store, domain_events, snapshots=False)
    product = Product(stream)
    while batch := store.load(stream, after_version=product.version, up_to_version=product.version + 10_000):
        replayer.replay(product, batch)
    assert (product.reserved, product.legacy_holds) == (open_orders, {})
    SnapshotStore().save(
        stream, Product.stream_type, product.version, Product.snapshot_schema_version, product.snapshot_state()
    )


def reserve_latencies(sku: str, seconds: float) -> list[float]:
    """Milliseconds per `ReserveStock` of one unit for a new order, one after another, for `seconds`."""
    from commands_app.domain.commands import ReserveStock
    from commands_app.framework.bus import CommandContext
    from commands_app.wiring import command_bus

    bus, latencies = command_bus(), []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        command = ReserveStock(sku=sku, order_id=uuid.uuid4(), quantity=1)
        started = time.perf_counter()
        bus.dispatch(command, CommandContext(user="bench"))
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def run(bench: Bench) -> RowResult:
    from bench.run import analyze

    many = 2_000 if bench.config.quick else 100_000
    few = 100
    bench.say(f"row 9: reserve-stock, product with {many:,} open orders / with {few}")
    started = time.perf_counter()
    build_product("FEW", few, seed=9)
    build_product("MANY", many, seed=99)
    built = time.perf_counter() - started
    store_snapshot("FEW", few)
    store_snapshot("MANY", many)
    analyze()
    bench.say(f"row 9: built {few + many:,} open orders in {built:.1f}s")
    reserve_latencies("FEW", min(1.0, bench.config.seconds))  # warm: connections, caches
    reserve_latencies("MANY", min(1.0, bench.config.seconds))
    seconds = bench.config.seconds
    res = alternate(
        bench.config.trials,
        {"many": lambda: reserve_latencies("MANY", seconds), "few": lambda: reserve_latencies("FEW", seconds)},
    )
    p50 = {side: median([percentile(t, 50) for t in trials]) for side, trials in res.items()}
    p99 = {side: median([percentile(t, 99) for t in trials]) for side, trials in res.items()}
    slower = ratio(p50["many"], p50["few"])
    return RowResult(
        row="9",
        what=f"reserve-stock in process, 1 client, product with {many:,} open orders",
        ours=f"p50 {fmt(p50['many'], 2)} / p99 {fmt(p99['many'], 2)} ms",
        baseline=f"{few} open orders: p50 {fmt(p50['few'], 2)} / p99 {fmt(p99['few'], 2)} ms",
        ratio=f"p50 {slower:.2f}x {few}",
        target=f"p50 <=1.2x {few}",
        met=slower <= 1.2,
        detail={
            "open_orders": {"many": many, "few": few},
            "setup_seconds": built,
            "p50_ms_per_trial": {side: [percentile(t, 50) for t in trials] for side, trials in res.items()},
            "p99_ms_per_trial": {side: [percentile(t, 99) for t in trials] for side, trials in res.items()},
            "commands_per_trial": {side: [len(t) for t in trials] for side, trials in res.items()},
        },
    )

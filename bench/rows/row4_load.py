"""Row 4: load one 1,000-event aggregate through `AggregateRepository.load`, with and without snapshots.

"Without" replays all 1,000 events. "With" starts from the snapshot that the save path
writes when an append crosses a multiple of `EVENTSTORE_SNAPSHOT_EVERY["Order"]` (here the
one at version 1,000, as if the 1,000th event had been saved through a command) and replays
what follows. The dataset is COPYed in, bypassing the save path, so the harness stores that
snapshot itself, from a full replay.
"""

import time
import uuid

from bench.context import Bench
from bench.dataset import copy_rows, orders_with_events
from bench.report import RowResult, fmt
from bench.stats import alternate, median, ratio

EVENTS = 1_000


def repository(*, snapshots: bool):  # noqa: ANN201 - Django-side import, kept lazy like the other rows
    from commands_app.domain.registry import domain_events
    from commands_app.framework.repository import AggregateRepository
    from eventstore.store import EventStore

    return AggregateRepository(EventStore(), domain_events, snapshots=snapshots)


def store_snapshot(order_id: str) -> None:
    """The snapshot the save path would have written at version 1,000, checked against a full replay."""
    from commands_app.domain.order import Order
    from eventstore.snapshots import SnapshotStore

    order = repository(snapshots=False).load(Order, order_id)
    assert order.version == EVENTS
    SnapshotStore().save(
        order.id, Order.stream_type, order.version, Order.snapshot_schema_version, order.snapshot_state()
    )
    assert vars(repository(snapshots=True).load(Order, order_id)) == vars(order)


def loads_per_second(order_id: str, seconds: float, *, snapshots: bool) -> float:
    from commands_app.domain.order import Order

    repo = repository(snapshots=snapshots)
    assert repo.load(Order, order_id).version == EVENTS
    count, deadline = 0, time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        repo.load(Order, order_id)
        count += 1
    return count / seconds


def run(bench: Bench) -> RowResult:
    from eventstore.snapshot_policy import snapshot_every

    bench.say("row 4: load a 1,000-event aggregate, without and with snapshots")
    order_id = str(uuid.uuid4())
    copy_rows(orders_with_events([order_id], EVENTS, customer_id=str(uuid.uuid4())))
    every = snapshot_every("Order")
    if every is None:
        note = "snapshots are off for Order (EVENTSTORE_SNAPSHOT_EVERY)"
        trials = [loads_per_second(order_id, bench.config.seconds, snapshots=False) for _ in range(bench.config.trials)]
        return RowResult(
            row="4",
            what="loads/s of a 1,000-event aggregate, without / with snapshots",
            ours=f"{fmt(median(trials), 1)} loads/s without; with: n/a ({note})",
            baseline="-",
            ratio="n/a",
            target="with >=10x without",
            met=None,
            detail={"trials_without": trials, "with": None, "note": note},
        )
    store_snapshot(order_id)
    seconds = bench.config.seconds
    res = alternate(
        bench.config.trials,
        {
            "without": lambda: loads_per_second(order_id, seconds, snapshots=False),
            "with": lambda: loads_per_second(order_id, seconds, snapshots=True),
        },
    )
    without, with_snapshots = median(res["without"]), median(res["with"])
    speedup = ratio(with_snapshots, without)
    return RowResult(
        row="4",
        what="loads/s of a 1,000-event aggregate, without / with snapshots",
        ours=f"{fmt(without, 1)} loads/s without; {fmt(with_snapshots, 1)} with",
        baseline="-",
        ratio=f"{speedup:.1f}x with/without",
        target="with >=10x without",
        met=speedup >= 10,
        detail={"trials_without": res["without"], "trials_with": res["with"], "snapshot_every": every},
    )

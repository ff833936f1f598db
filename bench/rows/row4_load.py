"""Row 4: load one 1,000-event aggregate through `AggregateRepository.load`, with and without snapshots.

Snapshots do not exist in the service yet; until an `eventstore` snapshot module appears,
the "with" figure says so instead of guessing at an API.
"""

import time
import uuid
from pathlib import Path

from bench.context import Bench
from bench.dataset import copy_rows, orders_with_events
from bench.report import RowResult, fmt
from bench.stats import median


def snapshots_available() -> bool:
    import eventstore

    return any(Path(eventstore.__file__).parent.glob("snapshot*"))


def loads_per_second(order_id: str, seconds: float) -> float:
    from commands_app.domain.order import Order
    from commands_app.domain.registry import domain_events
    from commands_app.framework.repository import AggregateRepository
    from eventstore.store import EventStore

    repository = AggregateRepository(EventStore(), domain_events)
    assert repository.load(Order, order_id).version == 1_000
    count, deadline = 0, time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        repository.load(Order, order_id)
        count += 1
    return count / seconds


def run(bench: Bench) -> RowResult:
    bench.say("row 4: load a 1,000-event aggregate")
    order_id = str(uuid.uuid4())
    copy_rows(orders_with_events([order_id], 1_000, customer_id=str(uuid.uuid4())))
    trials = [loads_per_second(order_id, bench.config.seconds) for _ in range(bench.config.trials)]
    without = median(trials)
    present = snapshots_available()
    note = "snapshot module found, not wired into the harness yet" if present else "snapshots not implemented yet"
    return RowResult(
        row="4",
        what="loads/s of a 1,000-event aggregate, without / with snapshots",
        ours=f"{fmt(without, 1)} loads/s without; with: n/a ({note})",
        baseline="-",
        ratio="n/a",
        target="with >=10x without",
        met=None,
        detail={"trials_without": trials, "with": None, "note": note},
    )

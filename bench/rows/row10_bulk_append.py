"""Row 10: appends of 100 events to a new stream, one client, against raw COPY of the same rows.

Ours is `EventStore.append` with 100 events (one INSERT of them all, numbered at commit);
the floor is one psycopg transaction that COPYs 100 rows into a table of the event table's
shape. Events per second: 100 per append. The events are of a type no projection
handles (`ItemImported` in `Import` streams), so they cost the projections nothing later.
"""

from bench.context import Bench
from bench.report import RowResult, fmt
from bench.stats import alternate, median, ratio

EVENTS = 100


def run(bench: Bench) -> RowResult:
    pool = bench.pool
    bench.say("row 10: 100-event appends, 1 client (ours / raw COPY)")
    res = alternate(
        bench.config.trials,
        {
            "ours": lambda: pool.rate("ours_append_100", 1) * EVENTS,
            "raw": lambda: pool.rate("raw_append_100", 1) * EVENTS,
        },
    )
    ours, raw = median(res["ours"]), median(res["raw"])
    vs_raw = ratio(ours, raw)
    return RowResult(
        row="10",
        what="events/s, 1 client, 100-event appends to new streams",
        ours=f"{fmt(ours)} events/s",
        baseline=f"raw COPY {fmt(raw)} events/s",
        ratio=f"{vs_raw:.2f}x raw",
        target=">=0.5x raw",
        met=vs_raw >= 0.5,
        detail={"trials": res, "median": {"ours": ours, "raw": raw}},
    )

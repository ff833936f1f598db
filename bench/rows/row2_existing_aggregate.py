"""Row 2: add-item on orders of 10 events, one client, against `eventsourcing` doing the same.

Each side cycles over its own pool of 10-event orders; every command adds one event, so
an order has 10 events plus the few earlier trials added (reported in the JSON).
"""

import uuid

from bench.context import Bench
from bench.dataset import copy_rows, orders_with_events
from bench.report import RowResult, fmt
from bench.stats import alternate, median, ratio


def prepare(bench: Bench, count: int) -> tuple[list[str], list[str]]:
    from bench.baselines.es_app import make_orders, make_shop
    from bench.clients import add_bench_catalogue

    add_bench_catalogue()
    ours = [str(uuid.uuid4()) for _ in range(count)]
    copy_rows(orders_with_events(ours, 10, customer_id=str(uuid.uuid4())))
    shop = make_shop(bench.config)
    try:
        theirs = [str(i) for i in make_orders(shop, count, 10)]
    finally:
        shop.close()
    return ours, theirs


def run(bench: Bench) -> RowResult:
    count = 200 if bench.config.quick else 2_000
    bench.say(f"row 2: existing 10-event aggregate, 1 client ({count} orders per side)")
    ours_ids, es_ids = prepare(bench, count)
    pool = bench.pool
    res = alternate(
        bench.config.trials,
        {
            "ours": lambda: pool.rate("ours_add_item", 1, [(ours_ids,)]),
            "es": lambda: pool.rate("es_add_item", 1, [(es_ids,)]),
        },
    )
    ours, es = median(res["ours"]), median(res["es"])
    added = sum(res["ours"]) * bench.config.seconds / count
    vs_es = ratio(ours, es)
    return RowResult(
        row="2",
        what="cmd/s in process, 1 client, existing 10-event aggregate (add-item)",
        ours=f"{fmt(ours)} cmd/s",
        baseline=f"eventsourcing {fmt(es)}/s",
        ratio=f"{vs_es:.2f}x es",
        target=">=1.2x es",
        met=vs_es >= 1.2,
        detail={"trials": res, "orders_per_side": count, "mean_events_added_per_order_over_all_trials": added},
    )

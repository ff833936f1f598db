"""Row 8: the order list (filtered, ordered, paginated) and detail, against a plain ModelViewSet.

Both sides read the same 100k-row `OrderSummary` table through gunicorn; only the view
layer differs. Paths walk many pages and ids, so no single row stays hot.
"""

from functools import partial

from bench.context import Bench
from bench.report import RowResult, fmt
from bench.stats import alternate, median, ratio


def paths(prefix: str, ids: list[str]) -> dict[str, list[str]]:
    pages = [f"{prefix}/?status=placed&ordering=-placed_at&limit=20&offset={n * 20}" for n in range(50)]
    return {"list": pages, "detail": [f"{prefix}/{order_id}/" for order_id in ids]}


def run(bench: Bench) -> list[RowResult]:
    from queries_app.models import OrderSummary

    config, gen, results = bench.config, bench.loadgen, []
    ids = [str(i) for i in OrderSummary.objects.order_by("?").values_list("id", flat=True)[:500]]
    count = OrderSummary.objects.count()
    ours_paths, base_paths = paths("/api/orders", ids), paths("/bench-crud/orders", ids)
    for kind in ("list", "detail"):
        bench.say(f"row 8: query {kind} on {count:,} orders (ours / plain ModelViewSet)")
        gen.run(bench.ours_port, bench.token, "get", config.query_clients, min(1.0, config.seconds), ours_paths[kind])
        gen.run(bench.base_port, bench.token, "get", config.query_clients, min(1.0, config.seconds), base_paths[kind])
        res = alternate(
            config.trials,
            {
                "ours": partial(
                    gen.run, bench.ours_port, bench.token, "get", config.query_clients, config.seconds, ours_paths[kind]
                ),
                "plain": partial(
                    gen.run, bench.base_port, bench.token, "get", config.query_clients, config.seconds, base_paths[kind]
                ),
            },
        )
        for side, loads in res.items():
            if any(load.errors for load in loads):
                bad = next(load for load in loads if load.errors)
                raise RuntimeError(f"row 8 {kind} {side}: {bad.errors} failed requests, e.g. {bad.first_error}")
        p50 = {s: median([x.p(50) for x in v]) for s, v in res.items()}
        p99 = {s: median([x.p(99) for x in v]) for s, v in res.items()}
        rate = {s: median([x.rate for x in v]) for s, v in res.items()}
        slower = ratio(p50["ours"], p50["plain"])
        results.append(
            RowResult(
                row=f"8 ({kind})",
                what=f"GET orders {kind}, {count:,} orders, {config.query_clients} clients",
                ours=f"p50 {fmt(p50['ours'], 1)} / p99 {fmt(p99['ours'], 1)} ms, {fmt(rate['ours'])} req/s",
                baseline=f"plain p50 {fmt(p50['plain'], 1)} / p99 {fmt(p99['plain'], 1)} ms, "
                f"{fmt(rate['plain'])} req/s",
                ratio=f"p50 {slower:.2f}x plain",
                target="p50 <=1.2x plain",
                met=slower <= 1.2,
                detail={"p50_ms": p50, "p99_ms": p99, "req_per_s": rate, "orders": count},
            )
        )
    return results

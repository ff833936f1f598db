"""Row 1: register-customer through the command bus, one client, against raw INSERT and `eventsourcing`
(its default mode and its database-function mode)."""

from bench.context import Bench
from bench.report import RowResult, fmt
from bench.stats import alternate, median, ratio


def run(bench: Bench) -> RowResult:
    pool, trials = bench.pool, bench.config.trials
    bench.say("row 1: new aggregate, 1 client (ours / raw psycopg / eventsourcing / eventsourcing db functions)")
    res = alternate(
        trials,
        {
            "ours": lambda: pool.rate("ours_register", 1),
            "raw": lambda: pool.rate("raw_insert", 1),
            "es": lambda: pool.rate("es_register", 1),
            "es_fn": lambda: pool.rate("es_fn_register", 1),
        },
    )
    ours, raw, es, es_fn = (median(res[k]) for k in ("ours", "raw", "es", "es_fn"))
    vs_es, vs_raw, vs_fn = ratio(ours, es), ratio(ours, raw), ratio(ours, es_fn)
    return RowResult(
        row="1",
        what="cmd/s in process, 1 client, new aggregate (register-customer)",
        ours=f"{fmt(ours)} cmd/s",
        baseline=f"raw {fmt(raw)}/s; es {fmt(es)}/s; es-fn {fmt(es_fn)}/s",
        ratio=f"{vs_raw:.2f}x raw; {vs_es:.2f}x es; {vs_fn:.2f}x es-fn",
        target=">=0.5x raw, >=1.2x es, >=0.8x es-fn",
        met=vs_raw >= 0.5 and vs_es >= 1.2 and vs_fn >= 0.8,
        detail={"trials": res, "median": {"ours": ours, "raw": raw, "es": es, "es_fn": es_fn}},
    )

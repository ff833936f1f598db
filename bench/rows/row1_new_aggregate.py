"""Row 1: register-customer through the command bus, one client, against raw INSERT and `eventsourcing`."""

from bench.context import Bench
from bench.report import RowResult, fmt
from bench.stats import alternate, median, ratio


def run(bench: Bench) -> RowResult:
    pool, trials = bench.pool, bench.config.trials
    bench.say("row 1: new aggregate, 1 client (ours / raw psycopg / eventsourcing)")
    res = alternate(
        trials,
        {
            "ours": lambda: pool.rate("ours_register", 1),
            "raw": lambda: pool.rate("raw_insert", 1),
            "es": lambda: pool.rate("es_register", 1),
        },
    )
    ours, raw, es = median(res["ours"]), median(res["raw"]), median(res["es"])
    vs_es, vs_raw = ratio(ours, es), ratio(ours, raw)
    return RowResult(
        row="1",
        what="cmd/s in process, 1 client, new aggregate (register-customer)",
        ours=f"{fmt(ours)} cmd/s",
        baseline=f"raw {fmt(raw)}/s; eventsourcing {fmt(es)}/s",
        ratio=f"{vs_raw:.2f}x raw; {vs_es:.2f}x es",
        target=">=0.5x raw, >=1.0x es",
        met=vs_raw >= 0.5 and vs_es >= 1.0,
        detail={"trials": res, "median": {"ours": ours, "raw": raw, "es": es}},
    )

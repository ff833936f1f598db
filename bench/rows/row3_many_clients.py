"""Row 3: register-customer with 4 and 8 client processes on distinct streams.

Scaling is N-client over 1-client throughput, each side against itself; the 1-client
figures come from row 1 (same run, same pool). Raw psycopg shows what the machine allows.
"""

from bench.context import Bench
from bench.report import RowResult, fmt
from bench.stats import alternate, median, ratio


def run(bench: Bench, row1: RowResult) -> list[RowResult]:
    pool, results = bench.pool, []
    one = row1.detail["median"]
    for clients in bench.config.clients:
        bench.say(f"row 3: {clients} clients (ours / raw psycopg / eventsourcing)")
        res = alternate(
            bench.config.trials,
            {
                "ours": lambda n=clients: pool.rate("ours_register", n),
                "raw": lambda n=clients: pool.rate("raw_insert", n),
                "es": lambda n=clients: pool.rate("es_register", n),
            },
        )
        ours, raw, es = median(res["ours"]), median(res["raw"]), median(res["es"])
        ours_scaling, raw_scaling = ratio(ours, one["ours"]), ratio(raw, one["raw"])
        relative, vs_es = ratio(ours_scaling, raw_scaling), ratio(ours, es)
        results.append(
            RowResult(
                row=f"3 ({clients}c)",
                what=f"cmd/s in process, {clients} clients, distinct streams",
                ours=f"{fmt(ours)} cmd/s ({ours_scaling:.2f}x 1c)",
                baseline=f"raw {fmt(raw)}/s ({raw_scaling:.2f}x 1c); es {fmt(es)}/s",
                ratio=f"scaling {relative:.2f}x raw's; {vs_es:.2f}x es",
                target="scaling >=0.8x raw's; >=2x es",
                met=relative >= 0.8 and vs_es >= 2.0,
                detail={"clients": clients, "trials": res, "scaling": {"ours": ours_scaling, "raw": raw_scaling}},
            )
        )
    return results

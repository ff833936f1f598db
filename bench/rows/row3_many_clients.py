"""Row 3: register-customer with 4 and 8 client processes on distinct streams.

Scaling is N-client over 1-client throughput, each side against itself; the 1-client
figures come from row 1 (same run, same pool). Raw psycopg shows what the machine allows;
`eventsourcing` runs in both its modes (es: its table lock; es-fn: database functions,
no lock). 8 clients must never be slower than 4.
"""

from functools import partial

from bench.context import Bench
from bench.report import RowResult, fmt
from bench.stats import alternate, median, ratio


def run(bench: Bench, row1: RowResult) -> list[RowResult]:
    pool, results = bench.pool, []
    one = row1.detail["median"]
    rates: dict[int, float] = {}
    for clients in bench.config.clients:
        bench.say(f"row 3: {clients} clients (ours / raw psycopg / eventsourcing, both modes)")
        res = alternate(
            bench.config.trials,
            {
                "ours": partial(pool.rate, "ours_register", clients),
                "raw": partial(pool.rate, "raw_insert", clients),
                "es": partial(pool.rate, "es_register", clients),
                "es_fn": partial(pool.rate, "es_fn_register", clients),
            },
        )
        ours, raw, es, es_fn = (median(res[k]) for k in ("ours", "raw", "es", "es_fn"))
        ours_scaling, raw_scaling = ratio(ours, one["ours"]), ratio(raw, one["raw"])
        relative, vs_es, vs_fn = ratio(ours_scaling, raw_scaling), ratio(ours, es), ratio(ours, es_fn)
        fewer = [n for n in rates if n < clients]
        not_slower = all(ours >= rates[n] for n in fewer)  # more clients never cost throughput
        rates[clients] = ours
        results.append(
            RowResult(
                row=f"3 ({clients}c)",
                what=f"cmd/s in process, {clients} clients, distinct streams",
                ours=f"{fmt(ours)} cmd/s ({ours_scaling:.2f}x 1c)",
                baseline=f"raw {fmt(raw)}/s ({raw_scaling:.2f}x 1c); es {fmt(es)}/s; es-fn {fmt(es_fn)}/s",
                ratio=f"scaling {relative:.2f}x raw's; {vs_es:.2f}x es; {vs_fn:.2f}x es-fn"
                + ("" if not fewer else f"; {ratio(ours, rates[max(fewer)]):.2f}x {max(fewer)}c"),
                target="scaling >=0.8x raw's; >=2x es" + ("; not slower than fewer clients" if fewer else ""),
                met=relative >= 0.8 and vs_es >= 2.0 and not_slower,
                detail={
                    "clients": clients,
                    "trials": res,
                    "scaling": {"ours": ours_scaling, "raw": raw_scaling},
                    "median": {"ours": ours, "raw": raw, "es": es, "es_fn": es_fn},
                },
            )
        )
    return results

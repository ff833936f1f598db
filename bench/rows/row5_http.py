"""Row 5: HTTP commands through gunicorn, 16 concurrent clients, against a plain DRF `create`."""

from bench.context import Bench
from bench.report import RowResult, fmt
from bench.stats import alternate, median, ratio


def run(bench: Bench) -> RowResult:
    clients, seconds, gen = bench.config.http_clients, bench.config.seconds, bench.loadgen
    bench.say(f"row 5: HTTP commands, {clients} clients (ours / plain ModelViewSet.create)")
    # Warm every gunicorn worker (imports, connections) before the first trial.
    gen.run(bench.ours_port, bench.token, "register", clients, min(1.0, seconds))
    gen.run(bench.base_port, bench.token, "crud_create", clients, min(1.0, seconds))
    res = alternate(
        bench.config.trials,
        {
            "ours": lambda: gen.run(bench.ours_port, bench.token, "register", clients, seconds),
            "crud": lambda: gen.run(bench.base_port, bench.token, "crud_create", clients, seconds),
        },
    )
    for side, loads in res.items():
        failed = [load for load in loads if load.errors]
        if failed:
            raise RuntimeError(f"row 5 {side}: {failed[0].errors} failed requests, e.g. {failed[0].first_error}")
    rate = {side: median([load.rate for load in loads]) for side, loads in res.items()}
    p50 = {side: median([load.p(50) for load in loads]) for side, loads in res.items()}
    p99 = {side: median([load.p(99) for load in loads]) for side, loads in res.items()}
    vs = ratio(rate["ours"], rate["crud"])
    return RowResult(
        row="5",
        what=f"HTTP commands, gunicorn, {clients} clients (register-customer)",
        ours=f"{fmt(rate['ours'])} req/s, p50 {fmt(p50['ours'], 1)} / p99 {fmt(p99['ours'], 1)} ms",
        baseline=f"CRUD {fmt(rate['crud'])} req/s, p50 {fmt(p50['crud'], 1)} / p99 {fmt(p99['crud'], 1)} ms",
        ratio=f"{vs:.2f}x CRUD",
        target=">=0.9x CRUD",
        met=vs >= 0.9,
        detail={
            "req_per_s": {s: [x.rate for x in v] for s, v in res.items()},
            "p50_ms": p50,
            "p99_ms": p99,
            "gunicorn_workers": bench.config.gunicorn_workers,
        },
    )

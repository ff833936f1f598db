"""Row 11: the cost of sealing personal data: register-customer with its name and email encrypted
(AES-256-GCM under the customer's own key, the key row written with the event) against the same
command with sealing switched off, one client, alternating trials."""

from bench import services
from bench.clients import ClientPool
from bench.context import Bench
from bench.report import RowResult, fmt
from bench.stats import alternate, median, ratio


def run(bench: Bench) -> RowResult:
    """With the shared client pool of the in-process rows, or (`--only 11`) a pool of its own."""
    if bench.client_pool is not None:
        return measure(bench, bench.client_pool)
    env = services.service_env(bench.config, "config.settings", "inproc")
    pool = ClientPool(bench.config, env, str(bench.log_dir / "clients.log"), size=1)
    try:
        return measure(bench, pool)
    finally:
        pool.close()


def measure(bench: Bench, pool: ClientPool) -> RowResult:
    trials = bench.config.trials
    bench.say("row 11: register-customer, personal fields sealed / plain, 1 client")
    res = alternate(
        trials,
        {
            "sealed": lambda: pool.rate("ours_register", 1),
            "plain": lambda: pool.rate("ours_register_plain", 1),
        },
    )
    sealed, plain = median(res["sealed"]), median(res["plain"])
    vs_plain = ratio(sealed, plain)
    return RowResult(
        row="11",
        what="cmd/s in process, 1 client, register-customer with personal data sealed",
        ours=f"{fmt(sealed)} cmd/s",
        baseline=f"unsealed {fmt(plain)}/s",
        ratio=f"{vs_plain:.2f}x unsealed",
        target=">=0.85x unsealed (at most 15 % slower)",
        met=vs_plain >= 0.85,
        detail={"trials": res, "median": {"sealed": sealed, "plain": plain}},
    )

"""Command-line knobs and the names of everything the run creates (databases, key prefix)."""

import argparse
import base64
import os
import secrets
import uuid
from dataclasses import dataclass, field

# Rows that `--only` runs alone: 9 and 11 build their own data; 6 loads the log itself, 7
# starts its own workers (bench.run.run_only).
STANDALONE_ROWS = {"6", "7", "9", "11"}


@dataclass(frozen=True)
class BenchConfig:
    """One run's scale and its private resources; every name is unique to this run."""

    events: int = 100_000
    orders: int = 100_000
    seconds: float = 4.0
    trials: int = 3
    clients: tuple[int, ...] = (4, 8)
    http_clients: int = 16
    query_clients: int = 4
    staleness_rate: float = 100.0
    gunicorn_workers: int = 5
    quick: bool = False
    only: tuple[str, ...] = ()  # just these rows (those that stand alone, see bench.run.run_only)
    pg_url: str = "postgres://postgres@127.0.0.1:5432"
    redis_url: str = "redis://127.0.0.1:6379/0"
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(40))
    data_key_master: str = field(default_factory=lambda: base64.b64encode(secrets.token_bytes(32)).decode())

    @property
    def db_ours(self) -> str:
        return f"cqrs_bench_{self.run_id}"

    @property
    def db_raw(self) -> str:
        return f"cqrs_bench_raw_{self.run_id}"

    @property
    def db_es(self) -> str:
        return f"cqrs_bench_es_{self.run_id}"

    @property
    def db_es_fn(self) -> str:
        """The peer's fastest mode (inserts through a database function, without its table lock)."""
        return f"cqrs_bench_esfn_{self.run_id}"

    @property
    def databases(self) -> tuple[str, ...]:
        return (self.db_ours, self.db_raw, self.db_es, self.db_es_fn)

    def db_url(self, name: str) -> str:
        return f"{self.pg_url}/{name}"

    @property
    def redis_prefix(self) -> str:
        """Root of every Redis key of this run; deleted with one scan at the end."""
        return f"cqrs-bench-{self.run_id}:"

    def phase_prefix(self, phase: str) -> str:
        # Each phase its own queue, so a worker never inherits another phase's backlog.
        return f"{self.redis_prefix}{phase}:"


def parse_args(argv: list[str] | None = None) -> BenchConfig:
    parser = argparse.ArgumentParser(prog="python -m bench", description="Benchmarks against the peers.")
    parser.add_argument("--quick", action="store_true", help="a tiny run (CI): proves the harness works")
    parser.add_argument("--events", type=int, help="events in the rebuild log (row 6), default 100000")
    parser.add_argument("--orders", type=int, help="orders in the query table (row 8), default 100000")
    parser.add_argument("--seconds", type=float, help="length of one trial, default 4")
    parser.add_argument("--trials", type=int, help="trials per figure (at least 3), default 3")
    parser.add_argument("--clients", help="client counts of row 3, comma separated, default 4,8")
    parser.add_argument("--only", help="run just these rows, comma separated (rows that stand alone: 6, 7, 9, 11)")
    args = parser.parse_args(argv)
    only = tuple(row.strip() for row in args.only.split(",")) if args.only else ()
    if not set(only) <= STANDALONE_ROWS:
        parser.error(f"--only takes rows that stand alone ({', '.join(sorted(STANDALONE_ROWS))}), not {args.only}")
    quick = args.quick
    quick_base = BenchConfig(events=500, orders=500, seconds=0.3, clients=(2,), http_clients=4, quick=True)
    base = quick_base if quick else BenchConfig()
    clients = tuple(int(n) for n in args.clients.split(",")) if args.clients else base.clients
    trials = max(3, args.trials or base.trials)
    return BenchConfig(
        events=args.events or base.events,
        orders=args.orders or base.orders,
        seconds=args.seconds or base.seconds,
        trials=trials,
        clients=clients,
        http_clients=base.http_clients,
        query_clients=base.query_clients,
        staleness_rate=base.staleness_rate,
        gunicorn_workers=base.gunicorn_workers,
        quick=quick,
        only=only,
        pg_url=os.environ.get("BENCH_POSTGRES_URL", base.pg_url).rstrip("/"),
        redis_url=os.environ.get("BENCH_REDIS_URL", base.redis_url),
    )

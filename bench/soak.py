"""`make soak`: a steady stream of shop commands with the fulfilment saga running, minute by minute.

Thirty minutes (`--minutes`, `SOAK_MINUTES`) at 40 commands a second (`--rate`), sent through
the command bus from this process on a fixed schedule (open loop: a slow command does not
slow the schedule down), while a real `celery worker --beat` runs every subscriber, the saga
included. The mix is a shop's: orders placed (their lines mostly on a few popular products),
items added to some, most shipped once the saga has confirmed them, some cancelled, a
quarter left open, so the open orders per product keep growing, and products restocked.

Every minute it prints one line: command latency p50 / p99, staleness p50 (a command's commit
until every projection has passed its position) and the saga's p50 (until the saga has), errors
and the worker's memory (RSS of the worker and its pool processes). At the end it compares the
last minute with the second (the first warms up): p50 and p99 within 1.2x, no errors, memory
within 1.1x. Like `make bench`, it creates and drops its own database and Redis keys.
"""

import argparse
import os
import random
import signal
import sys
import tempfile
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from bench import services
from bench.config import BenchConfig
from bench.stats import percentile

PROJECTIONS = ("customer_view", "order_summary", "product_stock")
SAGA = "order_fulfilment"
POPULAR = ("POPULAR-1", "POPULAR-2", "POPULAR-3")
OTHERS = tuple(f"SKU-{n}" for n in range(1, 10))
PRICE = Decimal("4.50")


@dataclass
class Minute:
    """What one minute of the soak measured."""

    latencies_ms: list[float] = field(default_factory=list)
    staleness_ms: list[float] = field(default_factory=list)
    saga_ms: list[float] = field(default_factory=list)
    errors: int = 0
    first_error: str = ""
    rss_mb: float = 0.0


def worker_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants (the worker, its pool, beat)."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            with open(f"/proc/{current}/status") as status:
                total += next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
            with open(f"/proc/{current}/task/{current}/children") as children:
                todo += [int(child) for child in children.read().split()]
        except (FileNotFoundError, StopIteration, ProcessLookupError):
            continue
    return total / 1024


class Visibility:
    """Watches the checkpoints with its own connection: when each command's position is passed."""

    def __init__(self, db_url: str) -> None:
        self.db_url = db_url
        self.pending: list[tuple[int, float, Minute]] = []
        self.saga_pending: list[tuple[int, float, Minute]] = []
        self.lock, self.done = threading.Lock(), threading.Event()
        self.thread = threading.Thread(target=self.poll, daemon=True)

    def add(self, position: int, at: float, minute: Minute) -> None:
        with self.lock:
            self.pending.append((position, at, minute))
            self.saga_pending.append((position, at, minute))

    def poll(self) -> None:
        with psycopg.connect(self.db_url, autocommit=True) as conn:
            while not self.done.is_set():
                rows: dict[str, int] = dict(conn.execute("SELECT name, position FROM eventstore_checkpoint").fetchall())
                now = time.perf_counter()
                projected = min((rows.get(name, 0) for name in PROJECTIONS), default=0)
                with self.lock:
                    self.pending = self._settle(self.pending, projected, now, "staleness_ms")
                    self.saga_pending = self._settle(self.saga_pending, rows.get(SAGA, 0), now, "saga_ms")
                time.sleep(0.005)

    @staticmethod
    def _settle(pending: list, reached: int, now: float, figure: str) -> list:
        left = []
        for position, at, minute in pending:
            if position <= reached:
                getattr(minute, figure).append((now - at) * 1000)
            else:
                left.append((position, at, minute))
        return left

    def behind(self) -> tuple[int, int]:
        with self.lock:
            return len(self.pending), len(self.saga_pending)


class Shop:
    """The load: which command comes next, with what the saga and the read side have done so far."""

    def __init__(self, seed: int = 5) -> None:
        self.rng = random.Random(seed)
        self.customers: list[uuid.UUID] = []
        self.to_ship: deque[tuple[uuid.UUID, int]] = deque()  # (order, version it must have passed)
        self.to_cancel: deque[tuple[uuid.UUID, int]] = deque()
        self.to_extend: deque[tuple[uuid.UUID, set[str]]] = deque()

    def setup(self) -> None:
        from commands_app.domain import commands as c

        for sku in POPULAR + OTHERS:
            self.dispatch(c.AddProduct(sku=sku, name=f"The {sku.lower()}", price=PRICE))
            self.dispatch(c.RestockProduct(sku=sku, quantity=1_000_000))
        for n in range(50):
            customer_id = uuid.uuid4()
            self.dispatch(c.RegisterCustomer(customer_id=customer_id, name=f"Customer {n}", email=f"c{n}@example.com"))
            self.customers.append(customer_id)

    def dispatch(self, command: Any) -> Any:  # Django-side types, imported lazily
        from commands_app.framework.bus import CommandContext
        from commands_app.wiring import command_bus

        return command_bus().dispatch(command, CommandContext(user="soak"))

    def next_command(self) -> object:
        from commands_app.domain import commands as c
        from commands_app.domain.order import OrderLine

        roll = self.rng.random()
        if roll < 0.25 and self.to_ship:
            order, after = self.to_ship[0]
            if self.confirmed(order, after):
                self.to_ship.popleft()
                return c.ShipOrder(order_id=order)
        if roll < 0.33 and self.to_cancel:
            # Once confirmed, like shipping: a cancel racing the saga's confirm is a 409 (not retried).
            order, after = self.to_cancel[0]
            if self.confirmed(order, after):
                self.to_cancel.popleft()
                return c.CancelOrder(order_id=order, reason="changed my mind")
        if roll < 0.43 and self.to_extend:
            order, skus = self.to_extend.popleft()
            sku = self.rng.choice([s for s in OTHERS if s not in skus])
            return c.AddItem(order_id=order, sku=sku, quantity=1, unit_price=PRICE)
        if roll < 0.47:
            return c.RestockProduct(sku=self.rng.choice(POPULAR), quantity=100)
        skus = {self.rng.choice(POPULAR)} | set(self.rng.sample(OTHERS, self.rng.randint(0, 2)))
        lines = tuple(OrderLine(sku, self.rng.randint(1, 3), PRICE) for sku in sorted(skus))
        return c.PlaceOrder(order_id=uuid.uuid4(), customer_id=self.rng.choice(self.customers), items=lines)

    def confirmed(self, order: uuid.UUID, after: int) -> bool:
        """What a client would check first: the order's page says confirmed, as of its last change."""
        from queries_app.models import OrderSummary

        row = OrderSummary.objects.filter(id=order).values_list("status", "version").first()
        return row is not None and row[0] == "confirmed" and row[1] > after

    def sent(self, command: object, result: Any) -> None:
        """Decide each new order's fate: most are shipped, some cancelled, some extended first, a quarter stay open."""
        from commands_app.domain import commands as c

        if isinstance(command, c.AddItem):
            self.to_ship.append((command.order_id, result.version))
        elif isinstance(command, c.PlaceOrder):
            fate = self.rng.random()
            if fate < 0.15:
                self.to_extend.append((command.order_id, {line.sku for line in command.items}))
            elif fate < 0.55:
                self.to_ship.append((command.order_id, result.version))
            elif fate < 0.75:
                self.to_cancel.append((command.order_id, result.version))


def run(minutes: int, rate: float, say) -> list[Minute]:  # noqa: ANN001 - a print function
    shop = Shop()
    shop.setup()
    visibility = Visibility(os.environ["DATABASE_URL"])
    visibility.thread.start()
    table: list[Minute] = []
    interval, start = 1 / rate, time.perf_counter()
    n = 0
    try:
        for index in range(minutes):
            minute = Minute()
            table.append(minute)
            # Wall-clock minutes: a load that falls behind shows as fewer commands.
            minute_ends = start + 60 * (index + 1)
            while time.perf_counter() < minute_ends:
                time.sleep(max(0.0, min(start + n * interval, minute_ends) - time.perf_counter()))
                if time.perf_counter() >= minute_ends:
                    break
                n += 1
                command = shop.next_command()
                began = time.perf_counter()
                try:
                    result = shop.dispatch(command)
                except Exception as error:  # noqa: BLE001 - counted and shown, the soak goes on
                    minute.errors += 1
                    minute.first_error = minute.first_error or f"{type(command).__name__}: {error!r}"[:200]
                    continue
                done = time.perf_counter()
                minute.latencies_ms.append((done - began) * 1000)
                shop.sent(command, result)
                if result.events:
                    visibility.add(result.position, done, minute)
            minute.rss_mb = worker_rss_mb(WORKER_PID[0])
            print(minute_line(index + 1, minute), flush=True)
        deadline = time.monotonic() + 60
        while any(visibility.behind()) and time.monotonic() < deadline:
            time.sleep(0.2)
        behind = visibility.behind()
        if any(behind):
            say(f"after the last minute: {behind[0]} commands never projected, {behind[1]} never seen by the saga")
            table[-1].errors += sum(behind)
    finally:
        visibility.done.set()
    return table


WORKER_PID = [0]
HEADER = (
    f"{'minute':>6} | {'commands':>8} | {'p50 ms':>7} | {'p99 ms':>7} | {'stale p50':>9} | {'saga p50':>8} "
    f"| {'errors':>6} | {'worker RSS':>10}"
)


def minute_line(number: int, m: Minute) -> str:
    def ms(values: list[float], pct: float) -> str:
        return f"{percentile(values, pct):.1f}" if values else "-"

    line = (
        f"{number:>6} | {len(m.latencies_ms):>8} | {ms(m.latencies_ms, 50):>7} | {ms(m.latencies_ms, 99):>7} "
        f"| {ms(m.staleness_ms, 50):>9} | {ms(m.saga_ms, 50):>8} | {m.errors:>6} | {m.rss_mb:>7.1f} MB"
    )
    if m.first_error:
        line += f"  first error: {m.first_error}"
    return line


def verdict(table: list[Minute]) -> tuple[bool, list[str]]:
    """Last minute against the second: p50 and p99 within 1.2x, 0 errors, memory within 1.1x."""
    if len(table) < 3:
        return False, ["needs at least 3 minutes to compare the last with the second"]
    second, last = table[1], table[-1]
    p50 = percentile(last.latencies_ms, 50) / percentile(second.latencies_ms, 50)
    p99 = percentile(last.latencies_ms, 99) / percentile(second.latencies_ms, 99)
    errors = sum(m.errors for m in table)
    memory = last.rss_mb / second.rss_mb if second.rss_mb else float("nan")
    checks = [
        (p50 <= 1.2, f"latency p50, last minute / second: {p50:.2f}x (target <=1.2x)"),
        (p99 <= 1.2, f"latency p99, last minute / second: {p99:.2f}x (target <=1.2x)"),
        (errors == 0, f"errors: {errors} (target 0)"),
        (memory <= 1.1, f"worker memory, last minute / second: {memory:.2f}x (target <=1.1x)"),
    ]
    return all(ok for ok, _ in checks), [f"{'yes' if ok else 'NO '} {text}" for ok, text in checks]


def _exit_on_term(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # so `finally` stops the worker and drops the database


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=int, default=int(os.environ.get("SOAK_MINUTES", "30")))
    parser.add_argument("--rate", type=float, default=40.0, help="commands per second, default 40")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _exit_on_term)
    config = BenchConfig(
        pg_url=os.environ.get("BENCH_POSTGRES_URL", BenchConfig.pg_url).rstrip("/"),
        redis_url=os.environ.get("BENCH_REDIS_URL", BenchConfig.redis_url),
    )
    database = f"cqrs_soak_{config.run_id}"
    log_dir = Path(tempfile.mkdtemp(prefix="cqrs-soak-"))
    started = time.monotonic()

    def say(message: str) -> None:
        print(f"[soak {time.monotonic() - started:7.1f}s] {message}", flush=True)

    try:
        services.preflight(config)
    except services.ServiceMissing as error:
        print(f"[soak] cannot run: {error}", file=sys.stderr)
        return 2
    admin = f"{config.pg_url}/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    # The service's own settings and every subscriber (the saga too); the database is this run's.
    env = services.service_env(config, "config.settings", "soak")
    env.pop("EVENTSTORE_SUBSCRIBERS")
    env["DATABASE_URL"] = f"{config.pg_url}/{database}"
    worker = None
    try:
        services.setup_django_here(env, log_dir / "soak.log")
        worker = services.start_worker(config, "config.settings", "worker", "soak", log_dir, env=env)
        WORKER_PID[0] = worker.process.pid
        say(f"database {database}, worker pid {worker.process.pid}, logs in {log_dir}")
        say(f"{args.minutes} minutes at {args.rate:.0f} commands/s, the saga running")
        print(HEADER, flush=True)
        table = run(args.minutes, args.rate, say)
    finally:
        if worker is not None:
            worker.stop()
        try:
            from django.db import connections

            connections.close_all()
        except Exception:
            pass
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))
        services.delete_redis_keys(config)
    met, lines = verdict(table)
    print()
    for line in lines:
        print(line)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())

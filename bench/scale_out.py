"""Query throughput from the read primary alone, then with 1 and 2 hot standbys serving the query API.

    python -m bench.scale_out [--orders 20000] [--seconds 4] [--clients 8]

Needs the private pair (`bash scripts/read-replica-pair.sh start`, as root or postgres; with
`PAIR_STANDBYS=2` it has a second standby on :5435, and the 2-replica row is measured) and
Redis. It creates its own databases (the write side on BENCH_POSTGRES_URL, the read side on
the pair's primary, which replicates it), fills `OrderSummary` with placed orders, then for each
replica count starts gunicorn with that `READ_REPLICA_URLS` and runs the order list and detail
load of row 8 against it. `X-Read-Database` of a sample answer shows who served it. The
databases are dropped at the end. Every process shares this machine's cores, so the figures
show where a replica moves the work, not what separate machines would add.
"""

import argparse
import os
import socket
import sys
import tempfile
import time
import urllib.request
import uuid
from dataclasses import replace
from decimal import Decimal
from functools import partial
from pathlib import Path

import psycopg
from psycopg import sql

from bench.config import BenchConfig
from bench.loadgen import LoadGenerator
from bench.services import REPO_ROOT, Managed, free_port, service_env

PAIR_PRIMARY = "postgres://postgres@127.0.0.1:5433"
PAIR_STANDBYS = ("postgres://postgres@127.0.0.1:5434", "postgres://postgres@127.0.0.1:5435")


def reachable(url: str) -> bool:
    try:
        psycopg.connect(f"{url}/postgres", connect_timeout=2).close()
        return True
    except psycopg.Error:
        return False


def wait_replicated(primary: str, standby: str, timeout: float = 60) -> None:
    with psycopg.connect(f"{primary}/postgres") as conn:
        head = conn.execute("SELECT pg_current_wal_lsn()").fetchone()[0]  # type: ignore[index]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with psycopg.connect(f"{standby}/postgres") as conn:
            done = conn.execute("SELECT pg_wal_lsn_diff(pg_last_wal_replay_lsn(), %s) >= 0", [head]).fetchone()
        if done and done[0]:
            return
        time.sleep(0.2)
    raise RuntimeError(f"{standby} did not replay up to {head} in {timeout}s")


def seed(orders: int) -> tuple[str, list[str]]:
    """Migrate both databases, write `orders` placed orders into the read model; a token and some ids."""
    import django
    from django.core.management import call_command

    django.setup()
    from django.contrib.auth.models import User
    from django.db import connections
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from queries_app.models import OrderSummary, OrderSummaryLine

    call_command("migrate", verbosity=0)
    call_command("migrate", database="read", verbosity=0)
    customer, now = uuid.uuid4(), timezone.now()
    ids = [uuid.uuid4() for _ in range(orders)]
    for start in range(0, orders, 2000):
        chunk = ids[start : start + 2000]
        OrderSummary.objects.bulk_create(
            OrderSummary(id=i, customer_id=customer, customer_name="Bench", item_count=2, total=Decimal("6.00"),
                         status=OrderSummary.Status.PLACED, placed_at=now, updated_at=now, version=1)
            for i in chunk
        )  # fmt: skip
        OrderSummaryLine.objects.bulk_create(
            OrderSummaryLine(order_id=i, sku="A", quantity=2, unit_price=Decimal("3")) for i in chunk
        )
    user = User.objects.create_user("bench-scale-out", password=uuid.uuid4().hex)
    token = Token.objects.create(user=user).key
    connections.close_all()
    return token, [str(i) for i in ids[:500]]


def served_by(port: int, token: str) -> str:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/orders/?limit=1", headers={"Authorization": f"Token {token}"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.headers.get("X-Read-Database", "?")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    args = parser.parse_args()

    config = replace(
        BenchConfig(), pg_url=os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432"),
        redis_url=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"), gunicorn_workers=args.workers,
    )  # fmt: skip
    standbys = [url for url in PAIR_STANDBYS if reachable(url)]
    if not reachable(PAIR_PRIMARY) or not standbys:
        print("bench.scale_out: start the pair first: bash scripts/read-replica-pair.sh start", file=sys.stderr)
        return 2
    write_db, read_db = config.db_ours, f"cqrs_bench_read_{config.run_id}"
    targets = ((config.pg_url, write_db), (PAIR_PRIMARY, read_db))
    for server, name in targets:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    env = {
        "DATABASE_URL": f"{config.pg_url}/{write_db}",
        "READ_DATABASE_URL": f"{PAIR_PRIMARY}/{read_db}",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SECRET_KEY": config.secret_key,
        "READ_REPLICA_URLS": "",
    }
    os.environ.update(env)
    gen = LoadGenerator()
    rows = []
    try:
        token, ids = seed(args.orders)
        for standby in standbys:
            wait_replicated(PAIR_PRIMARY, standby)
        pages = [f"/api/orders/?status=placed&ordering=-placed_at&limit=20&offset={n * 20}" for n in range(50)]
        details = [f"/api/orders/{order_id}/" for order_id in ids]
        with tempfile.TemporaryDirectory() as logs:
            for count in range(len(standbys) + 1):
                replicas = ",".join(f"{url}/{read_db}" for url in standbys[:count])
                web_env = {**service_env(config, "config.settings", "http"), **env, "READ_REPLICA_URLS": replicas}
                port = free_port()
                command = [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind",
                           f"127.0.0.1:{port}", "--workers", str(args.workers)]  # fmt: skip
                web = Managed(f"web-{count}", command, web_env, Path(logs))
                try:
                    web.wait_for(partial(_listening, port))
                    who = served_by(port, token)
                    result = {"replicas": count, "served by": who}
                    for kind, paths in (("list", pages), ("detail", details)):
                        gen.run(port, token, "get", args.clients, 1.0, paths)  # warm up
                        load = gen.run(port, token, "get", args.clients, args.seconds, paths)
                        if load.errors:
                            raise RuntimeError(f"{load.errors} failed requests, e.g. {load.first_error}")
                        result[kind] = f"{load.rate:,.0f}/s (p50 {load.p(50):.1f} ms)"
                    rows.append(result)
                    print(result, flush=True)
                finally:
                    web.stop()
    finally:
        gen.close()
        for server, name in targets:
            with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    print(f"\n{args.orders:,} orders, {args.clients} clients, gunicorn × {args.workers}, {args.seconds:g} s per figure")
    print("| replicas | served by | order list | order detail |\n|---|---|---|---|")
    for row in rows:
        print(f"| {row['replicas']} | {row['served by']} | {row['list']} | {row['detail']} |")
    return 0


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False


if __name__ == "__main__":
    sys.path.insert(0, str(REPO_ROOT))
    sys.exit(main())

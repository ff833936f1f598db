"""The orchestrator: check the servers, create this run's databases, run every row, clean up.

Row order follows data dependencies, not row numbers: the rebuild (6) fills the read model
the queries (8) read; HTTP rows share two gunicorns; the staleness row (7) goes last, after
a catch-up, so its worker starts with no backlog. The table is printed in row order.
"""

import signal
import sys
import tempfile
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

from bench import services
from bench.config import BenchConfig, parse_args
from bench.context import Bench
from bench.report import RowResult, render, write_json

STALE_PHASE = "stale"


def setup_django(config: BenchConfig, log_dir: Path) -> None:
    """This process runs Django on `bench.settings` (the service's settings + the CRUD app)."""
    services.setup_django_here(services.service_env(config, "bench.settings", STALE_PHASE), log_dir / "harness.log")


def make_token() -> str:
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    from commands_app.api.permissions import command_senders_group

    user = get_user_model().objects.create_user(username="bench", password=None)
    user.groups.add(command_senders_group())  # row 5 sends commands over HTTP
    return Token.objects.create(user=user).key


def load_data(bench: Bench) -> None:
    from bench.baselines import es_app, raw_pg
    from bench.dataset import copy_rows, mixed_log

    raw_pg.create_event_table(bench.config)
    es_app.make_shop(bench.config).close()  # creates its tables
    es_app.make_shop(bench.config, db_functions=True).close()  # and its database functions
    started = time.perf_counter()
    copied = copy_rows(mixed_log(bench.config.events))
    analyze()
    bench.say(f"copied {copied:,} events into the log in {time.perf_counter() - started:.1f}s")


def analyze() -> None:
    """Planner statistics after a bulk load, as `pgbench -i` does and autovacuum would.

    Straight after a COPY the planner believes the event table is tiny and reads a batch of
    events through a bitmap scan of every remaining row (15 ms instead of 0.2 ms a batch).
    """
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def top_up_orders(bench: Bench) -> None:
    """Bring the order table to `--orders` rows (setup for row 8, not measured).

    The extra orders go into the log as OrderPlaced events, and their read rows are written
    directly in bulk (the projection's own row shape), after which the checkpoints move
    past them: replaying 100k events one by one through the projections would take
    minutes and measure nothing row 8 is about.
    """
    from bench.dataset import copy_rows, fill_order_summaries, more_orders
    from eventstore.models import Checkpoint, Event
    from eventstore.store import EventStore
    from eventstore.subscriptions import catch_up_all, registered_subscribers
    from queries_app.models import OrderSummary

    catch_up_all()
    missing = bench.config.orders - OrderSummary.objects.count()
    if missing > 0:
        customer = Event.objects.filter(event_type="CustomerRegistered").values_list("stream_id", flat=True).first()
        if customer is None:
            raise RuntimeError("the dataset has no customer to place the extra orders for")
        after = EventStore().head()
        copy_rows(more_orders(missing, customer))
        fill_order_summaries(after)
        names = [s.name for s in registered_subscribers()]
        Checkpoint.objects.filter(name__in=names).update(position=EventStore().head())
        analyze()
    bench.say(f"order table holds {OrderSummary.objects.count():,} orders")


def standalone_rows() -> dict:
    """Rows that build their own data and need no other row's services: `--only` runs just these."""
    from bench.rows import row9_reserve_open_orders, row11_personal_data

    return {"9": row9_reserve_open_orders.run, "11": row11_personal_data.run}


def run_rows(bench: Bench) -> list[RowResult]:
    from bench.clients import ClientPool
    from bench.loadgen import LoadGenerator
    from bench.rows import (
        row1_new_aggregate,
        row2_existing_aggregate,
        row3_many_clients,
        row4_load,
        row5_http,
        row6_rebuild,
        row8_queries,
        row9_reserve_open_orders,
        row10_bulk_append,
        row11_personal_data,
    )

    config, rows = bench.config, []
    if config.only:
        return run_only(bench)
    load_data(bench)
    rows.append(row6_rebuild.run(bench))
    top_up_orders(bench)

    env = services.service_env(config, "config.settings", "inproc")
    bench.client_pool = ClientPool(config, env, str(bench.log_dir / "clients.log"), size=max(config.clients))
    row1 = row1_new_aggregate.run(bench)
    rows += [row1, row2_existing_aggregate.run(bench), *row3_many_clients.run(bench, row1)]
    rows.append(row10_bulk_append.run(bench))
    rows.append(row11_personal_data.run(bench))
    bench.pool.close()
    bench.client_pool = None
    rows.append(row4_load.run(bench))
    rows.append(row9_reserve_open_orders.run(bench))  # in this process, before the HTTP rows start

    ours, bench.ours_port = services.start_gunicorn(config, "config.settings", "gunicorn-ours", bench.log_dir)
    bench.processes.append(ours)
    base, bench.base_port = services.start_gunicorn(config, "bench.settings", "gunicorn-crud", bench.log_dir)
    bench.processes.append(base)
    bench.load_generator = LoadGenerator()
    rows.append(row5_http.run(bench))
    rows += row8_queries.run(bench)

    rows.append(run_row7(bench))
    return sorted(rows, key=row_order)


def run_row7(bench: Bench) -> RowResult:
    """Row 7 with its two workers (ours and the bare Celery one), started here."""
    from bench.rows import row7_staleness
    from eventstore.subscriptions import catch_up_all

    catch_up_all()  # the worker starts with nothing to do but what row 7 sends
    for name, settings_module, queue in (
        ("worker-ours", "config.settings", None),
        ("worker-ping", "bench.settings", row7_staleness.PING_QUEUE),
    ):
        worker = services.start_worker(
            bench.config, settings_module, name, STALE_PHASE, bench.log_dir, queue, wait=False
        )
        bench.processes.append(worker)
    for worker in bench.processes[-2:]:
        services.wait_ready(worker)  # both started at once: half the waiting
    return row7_staleness.run(bench)


def run_only(bench: Bench) -> list[RowResult]:
    """`--only`: row 6 on a log it loads, row 7 on whatever the log holds then, 9 and 11 as they are."""
    from bench.rows import row6_rebuild

    rows = []
    if "6" in bench.config.only:
        load_data(bench)
        rows.append(row6_rebuild.run(bench))
    rows += [standalone_rows()[row](bench) for row in bench.config.only if row in standalone_rows()]
    if "7" in bench.config.only:
        rows.append(run_row7(bench))
    return sorted(rows, key=row_order)


def row_order(row: RowResult) -> tuple[int, str]:
    """Numeric order ("10" after "8"), then the variant ("3 (4c)" before "3 (8c)")."""
    number, _, variant = row.row.partition(" ")
    return int(number) if number.isdigit() else 99, variant


def cleanup(bench: Bench) -> None:
    for process in reversed(bench.processes):
        process.stop()
    for closer in (bench.client_pool, bench.load_generator):
        if closer is not None:
            closer.close()
    try:
        from django.db import connections

        connections.close_all()
    except Exception:
        pass  # Django never got set up
    services.drop_databases(bench.config)
    services.delete_redis_keys(bench.config)


def _exit_on_term(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # so `finally` drops the databases and keys


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _exit_on_term)
    config = parse_args(argv)
    started = datetime.now(UTC)
    try:
        services.preflight(config)
    except services.ServiceMissing as error:
        print(f"[bench] cannot run: {error}", file=sys.stderr)
        return 2
    bench = Bench(config, Path(tempfile.mkdtemp(prefix="cqrs-bench-")))
    bench.say(f"run {config.run_id}: databases {', '.join(config.databases)}; logs in {bench.log_dir}")
    services.create_databases(config)
    try:
        setup_django(config, bench.log_dir)
        bench.token = make_token()
        rows = run_rows(bench)
    except Exception:
        traceback.print_exc()
        bench.say(f"failed; service logs are in {bench.log_dir}")
        return 1
    finally:
        cleanup(bench)
    print()
    print(render(rows))
    settings = {
        k: getattr(config, k)
        for k in (
            "events",
            "orders",
            "seconds",
            "trials",
            "clients",
            "http_clients",
            "query_clients",
            "staleness_rate",
            "gunicorn_workers",
            "quick",
            "only",
        )
    }
    path = write_json(rows, settings, started)
    print(f"\n[bench] results: {path}")
    return 0

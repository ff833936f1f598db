"""Blue/green rebuild speed at scale: `python -m bench.rebuild_scale --events 1000000`.

Makes a scratch database of its own (dropped at the end), loads a mixed log of `--events`
events with COPY, catches the projections up, then rebuilds each projection blue/green
(`eventstore.generations`) and prints its events/s. Profile it with
`py-spy record -o profile.svg -- python -m bench.rebuild_scale --events 100000`.
"""

import argparse
import base64
import os
import secrets
import time
import uuid

import psycopg


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=2000)
    parser.add_argument("--projections", default="customer_view,order_summary,product_stock")
    args = parser.parse_args()
    server = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432").rstrip("/")
    name = f"cqrs_rebuild_scale_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    os.environ.update(
        DATABASE_URL=f"{server}/{name}",
        READ_DATABASE_URL="",
        SECRET_KEY=os.environ.get("SECRET_KEY", "bench-only"),
        # A scratch key for the scratch database's personal data (the service refuses to start without one).
        DATA_KEY_MASTER=os.environ.get("DATA_KEY_MASTER") or base64.b64encode(secrets.token_bytes(32)).decode(),
        DJANGO_SETTINGS_MODULE="config.settings",
        EVENTSTORE_WAKE_UPS="0",
    )
    try:
        run(args)
    finally:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.core.management import call_command

    from bench.dataset import copy_rows, mixed_log
    from eventstore import operations
    from eventstore.models import Checkpoint
    from eventstore.store import EventStore
    from eventstore.subscriptions import catch_up, get_subscriber, registered_subscribers

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    copy_rows(mixed_log(args.events))
    head = EventStore().head()
    print(f"loaded {args.events:,} events in {time.perf_counter() - started:.1f}s")
    for subscriber in registered_subscribers():
        if not subscriber.read_models:  # a saga: its commands are not what is measured
            Checkpoint.objects.update_or_create(name=subscriber.name, defaults={"position": head})
    for name in args.projections.split(","):
        subscriber = get_subscriber(name)
        started = time.perf_counter()
        caught_up = catch_up(subscriber, batch_size=args.batch_size)
        seconds = time.perf_counter() - started
        print(f"{name}: catch-up of {caught_up:,} events in {seconds:.1f}s ({caught_up / seconds:,.0f} events/s)")
        result = operations.rebuild(subscriber, batch_size=args.batch_size)
        print(
            f"{name}: blue/green rebuild of {result.events:,} events in {result.seconds:.1f}s "
            f"({result.events_per_second:,.0f} events/s)"
        )


if __name__ == "__main__":
    main()

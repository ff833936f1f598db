"""Blue/green rebuild speed at scale: `python -m bench.rebuild_scale --events 1000000`.

Makes a scratch database of its own (dropped at the end), loads a log of `--events` events
with COPY (with the mixed log, and when `product_stock` is measured, `--events` Product events
more), catches the projections up, then rebuilds each projection blue/green
(`eventstore.generations`) and prints its events/s. `--log` picks the log: `mixed` (a shop's
history, the default), or only customers' events, `customers` (in the clear) or
`customers-sealed` (name and email sealed under each customer's data key): the cost of opening
personal data in a rebuild is `--projections customer_view` on the one against the other. Profile it with
`py-spy record -o profile.svg -- python -m bench.rebuild_scale --events 100000`.
"""

import argparse
import time

from bench.scratch import scratch_database

LOGS = ("mixed", "customers", "customers-sealed")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=2000)
    parser.add_argument("--projections", default="customer_view,order_summary,product_stock")
    parser.add_argument("--log", choices=LOGS, default="mixed", help="the log to load (default: mixed)")
    args = parser.parse_args()
    with scratch_database("cqrs_rebuild_scale", EVENTSTORE_WAKE_UPS="0"):
        run(args)


def run(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.core.management import call_command

    from bench.dataset import copy_rows, customers_log, mixed_log, product_log
    from eventstore import operations
    from eventstore.models import Checkpoint
    from eventstore.store import EventStore
    from eventstore.subscriptions import catch_up, get_subscriber, registered_subscribers

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    if args.log == "mixed":
        loaded = copy_rows(mixed_log(args.events))
        if "product_stock" in args.projections.split(","):  # the mixed log has no Product events
            loaded += copy_rows(product_log(args.events))
    else:
        loaded = copy_rows(customers_log(args.events, sealed=args.log != "customers"))
    head = EventStore().head()
    print(f"loaded {loaded:,} events ({args.log} log) in {time.perf_counter() - started:.1f}s")
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

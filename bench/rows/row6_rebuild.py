"""Row 6: rebuild both projections from position 0 through `eventstore.subscriptions.catch_up`.

Each trial resets the read models and checkpoints (untimed), then times the catch-up of
every registered subscriber over the whole log. The floor does the same work with raw
psycopg. Trials are fixed work (the whole log), not fixed time: a rebuild has an end.
"""

import time

import psycopg
from django.conf import settings

from bench.baselines import raw_rebuild
from bench.context import Bench
from bench.report import RowResult, fmt
from bench.stats import alternate, median, ratio


def ours_once() -> float:
    from django.db import transaction

    from eventstore.models import Checkpoint, Event
    from eventstore.subscriptions import catch_up, ensure_checkpoint, registered_subscribers

    subscribers = registered_subscribers()
    for subscriber in subscribers:
        ensure_checkpoint(subscriber.name)
        with transaction.atomic():
            subscriber.reset()
            Checkpoint.objects.filter(name=subscriber.name).update(position=0)
    events = Event.objects.count()
    started = time.perf_counter()
    for subscriber in subscribers:
        catch_up(subscriber)
    return events / (time.perf_counter() - started)


def raw_once(url: str) -> float:
    with psycopg.connect(url) as conn:
        raw_rebuild.reset(conn)
        started = time.perf_counter()
        events = raw_rebuild.rebuild(conn, settings.EVENTSTORE_BATCH_SIZE)
        return events / (time.perf_counter() - started)


def run(bench: Bench) -> RowResult:
    config = bench.config
    bench.say(f"row 6: projection rebuild of {config.events:,} events (ours / raw psycopg floor)")
    url = config.db_url(config.db_ours)
    res = alternate(config.trials, {"ours": ours_once, "raw": lambda: raw_once(url)})
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "DROP TABLE IF EXISTS raw_order_summary_line, raw_order_summary, raw_customer_view, "
            "raw_order_customer_name, raw_customer_order_total, raw_checkpoint"
        )
    ours, raw = median(res["ours"]), median(res["raw"])
    vs = ratio(ours, raw)
    return RowResult(
        row="6",
        what=f"projection rebuild, {config.events:,} events, both projections",
        ours=f"{fmt(ours)} events/s",
        baseline=f"raw floor {fmt(raw)} events/s",
        ratio=f"{vs:.2f}x raw",
        target=">=20,000 ev/s, >=0.5x raw",
        met=ours >= 20_000 and vs >= 0.5,
        detail={"trials": res, "batch_size": settings.EVENTSTORE_BATCH_SIZE},
    )

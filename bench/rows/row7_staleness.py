"""Row 7: command commit -> read-model row visible, at a steady rate, with a real worker on Redis.

The harness dispatches register-customer through the bus at a fixed rate; a poller thread
watches the read-model table (the row `/api/customers/<id>/` serves) with its own
connection. Staleness is counted from when `dispatch` returned, which is just after the
commit and its wake-up publish, so the figure errs by a fraction of a millisecond in
our favour; polling errs by about as much against us. The baseline is a bare Celery task
on the same broker: `.delay()` to the moment the task starts, one in flight.
"""

import threading
import time
import uuid

import psycopg
import redis

from bench.context import Bench
from bench.report import RowResult, fmt
from bench.stats import alternate, percentile, ratio

PING_QUEUE = "bench_ping"


def ours_once(bench: Bench, seconds: float) -> list[float]:
    from commands_app.domain.commands import RegisterCustomer
    from commands_app.framework.bus import CommandContext
    from commands_app.wiring import command_bus
    from queries_app.models import CustomerView

    table = CustomerView._meta.db_table
    pending: dict[str, float] = {}
    lock, done, seen = threading.Lock(), threading.Event(), []

    def poll() -> None:
        with psycopg.connect(bench.config.db_url(bench.config.db_ours), autocommit=True) as conn:
            while not (done.is_set() and not pending):
                with lock:
                    ids = list(pending)
                if ids:
                    rows = conn.execute(f"SELECT id::text FROM {table} WHERE id = ANY(%s::uuid[])", (ids,)).fetchall()
                    now = time.perf_counter()
                    with lock:
                        for (found,) in rows:
                            seen.append((now - pending.pop(found)) * 1000)
                time.sleep(0.0002)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    bus, interval = command_bus(), 1 / bench.config.staleness_rate
    start = time.perf_counter()
    for i in range(int(seconds * bench.config.staleness_rate)):
        time.sleep(max(0.0, start + i * interval - time.perf_counter()))
        customer_id = uuid.uuid4()
        bus.dispatch(
            RegisterCustomer(customer_id=customer_id, name="Ada", email=f"ada-{uuid.uuid4().hex}@example.com"),
            CommandContext(user="bench"),
        )
        with lock:
            pending[str(customer_id)] = time.perf_counter()
    done.set()
    poller.join(60)
    if pending:
        raise RuntimeError(f"row 7: {len(pending)} commands never became visible within 60 s")
    return seen


def ping_once(bench: Bench, seconds: float) -> list[float]:
    from config.celery import app

    reply_key = f"{bench.config.redis_prefix}ping-replies"
    client = redis.Redis.from_url(bench.config.redis_url)
    latencies, interval = [], 1 / bench.config.staleness_rate
    start = time.perf_counter()
    for i in range(int(seconds * bench.config.staleness_rate)):
        time.sleep(max(0.0, start + i * interval - time.perf_counter()))
        sent = time.time()
        app.send_task("bench.ping", args=[reply_key, i], queue=PING_QUEUE)
        reply = client.blpop([reply_key], timeout=30)
        if reply is None:
            raise RuntimeError("row 7: the bare Celery task did not start within 30 s")
        value = reply[1]
        token, started = (value.decode() if isinstance(value, bytes) else value).split()
        latencies.append((float(started) - sent) * 1000)
    client.close()
    return latencies


def left_behind(timeout: float = 60.0) -> int:
    """Events some subscriber has not handled once the worker had `timeout` seconds to finish."""
    from eventstore.models import Checkpoint
    from eventstore.store import EventStore
    from eventstore.subscriptions import registered_subscribers

    names = [s.name for s in registered_subscribers()]
    deadline = time.monotonic() + timeout
    while True:
        head = EventStore().head()
        lowest = min(Checkpoint.objects.filter(name__in=names).values_list("position", flat=True), default=0)
        if lowest >= head or time.monotonic() > deadline:
            return head - lowest if lowest < head else 0
        time.sleep(0.2)


def run(bench: Bench) -> RowResult:
    config = bench.config
    bench.say(f"row 7: staleness at {config.staleness_rate:.0f} commands/s (ours / bare Celery round trip)")
    ours_once(bench, min(1.0, config.seconds))  # warm the worker and both connections
    ping_once(bench, min(1.0, config.seconds))
    res = alternate(
        config.trials,
        {"ours": lambda: ours_once(bench, config.seconds), "celery": lambda: ping_once(bench, config.seconds)},
    )
    stats = {
        side: {
            "p50": sorted(percentile(t, 50) for t in trials)[len(trials) // 2],
            "p99": sorted(percentile(t, 99) for t in trials)[len(trials) // 2],
            "max": max(max(t) for t in trials),
        }
        for side, trials in res.items()
    }
    behind = left_behind()
    r50, r99 = ratio(stats["ours"]["p50"], stats["celery"]["p50"]), ratio(stats["ours"]["p99"], stats["celery"]["p99"])
    ours, base = stats["ours"], stats["celery"]
    return RowResult(
        row="7",
        what=f"staleness commit->visible, {config.staleness_rate:.0f} cmd/s, worker + Redis",
        ours=f"p50 {fmt(ours['p50'], 1)} / p99 {fmt(ours['p99'], 1)} / max {fmt(ours['max'], 1)} ms; "
        f"{behind} left behind",
        baseline=f"celery p50 {fmt(base['p50'], 2)} / p99 {fmt(base['p99'], 2)} / max {fmt(base['max'], 1)} ms",
        ratio=f"p50 {r50:.1f}x; p99 {r99:.1f}x",
        target="p50 <=3x, p99 <=10x, 0 left",
        met=r50 <= 3 and r99 <= 10 and behind == 0,
        detail={
            "stats_ms": stats,
            "samples": {s: sum(len(t) for t in v) for s, v in res.items()},
            "left_behind": behind,
        },
    )

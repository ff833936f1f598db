"""Catch-up with 1 and 2 worker processes: `python -m bench.catch_up_scale [--events 200000]`.

What `docker compose up --scale worker=N` buys. A scratch database (dropped at the end) gets a
log of `--events` events with COPY: three quarters the mixed log (customers and orders), one
quarter products' stock movements (`bench.dataset.product_log`). Then, per trial, every
subscriber's read model and checkpoint are reset, N `celery worker --concurrency=1` processes
start on a Redis key prefix of this run, one wake-up is sent, and the time until every
checkpoint has reached the head is taken. Worker counts alternate, trial by trial; the median
is printed with the ratio to 1 worker.

A wake-up sends a task of its own to each subscriber more than a batch behind (and catches up
the others itself), so with more processes different subscribers run at once (the checkpoint
lock keeps each one to a single runner). The subscribers are the projections (customer view,
order summary, product stock) and the fulfilment saga, whose checkpoint starts at the head: on a
generated history, whose skus are no products, it would cancel every order with a command of its
own.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import redis

from bench.scratch import scratch_database

REPO_ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--workers", default="1,2", help="comma-separated worker process counts")
    parser.add_argument("--trials", type=int, default=2)
    args = parser.parse_args()
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
    prefix = f"cqrs_catch_up_scale_{uuid.uuid4().hex[:8]}:"
    try:
        with scratch_database("cqrs_catch_up_scale", CELERY_BROKER_URL=redis_url, CELERY_KEY_PREFIX=prefix, DEBUG="0"):
            run(args)
    finally:
        client = redis.Redis.from_url(redis_url)
        for key in client.scan_iter(match=f"{prefix}*", count=1000):
            client.delete(key)


def run(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.core.management import call_command

    from bench.dataset import copy_rows, mixed_log, product_log
    from eventstore.store import EventStore
    from eventstore.subscriptions import registered_subscribers

    call_command("migrate", verbosity=0)
    copy_rows(mixed_log(args.events - args.events // 4))
    copy_rows(product_log(args.events // 4))
    head = EventStore().head()
    projections = [s for s in registered_subscribers() if s.read_models]
    print(f"{args.events:,} events; {len(projections)} projections + the saga at the head")
    counts = [int(n) for n in args.workers.split(",")]
    seconds: dict[int, list[float]] = {n: [] for n in counts}
    for trial in range(args.trials):
        for workers in counts if trial % 2 == 0 else reversed(counts):
            taken = one_trial(workers, head)
            seconds[workers].append(taken)
            print(f"  trial {trial + 1}, {workers} worker(s): {taken:.1f}s", flush=True)
    base = statistics.median(seconds[counts[0]])
    print(f"\n{'workers':>7} | {'catch-up':>9} | {'events/s (all subscribers)':>26} | vs {counts[0]}")
    for workers in counts:
        median = statistics.median(seconds[workers])
        rate = head * len(projections) / median
        print(f"{workers:>7} | {median:>8.1f}s | {rate:>26,.0f} | {base / median:.2f}x")


def one_trial(workers: int, head: int) -> float:
    """Reset every read model, start `workers` processes, wake them, time until all are at `head`."""
    from eventstore.models import Checkpoint
    from eventstore.subscriptions import ensure_checkpoint, registered_subscribers
    from eventstore.tasks import wake_subscribers

    for subscriber in registered_subscribers():
        ensure_checkpoint(subscriber.name)
        if subscriber.read_models:
            subscriber.reset()
        Checkpoint.objects.filter(name=subscriber.name).update(position=0 if subscriber.read_models else head)
    logs = Path(os.environ.get("TMPDIR", "/tmp"))
    processes = [start_worker(i, logs) for i in range(workers)]
    try:
        for process, log in processes:
            wait_ready(process, log)
        started = time.perf_counter()
        wake_subscribers.delay()
        names = [s.name for s in registered_subscribers()]
        while Checkpoint.objects.filter(name__in=names, position__lt=head).exists():
            for process, log in processes:
                if process.poll() is not None:
                    raise RuntimeError(f"a worker exited:\n{log.read_text()[-2000:]}")
            time.sleep(0.05)
        return time.perf_counter() - started
    finally:
        for process, _ in processes:
            process.terminate()
        for process, _ in processes:
            process.wait(30)


def start_worker(index: int, logs: Path) -> tuple[subprocess.Popen[bytes], Path]:
    log = logs / f"catch-up-scale-{os.getpid()}-{index}.log"
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--concurrency=1", "--loglevel=info"]
    command += ["--without-gossip", "--without-mingle", "-n", f"catch-up-{index}-{os.getpid()}@%h"]
    with open(log, "w") as out:
        process = subprocess.Popen(command, cwd=REPO_ROOT, env=os.environ, stdout=out, stderr=subprocess.STDOUT)
    return process, log


def wait_ready(process: subprocess.Popen[bytes], log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while " ready." not in log.read_text():
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"a worker did not start:\n{log.read_text()[-2000:]}")
        time.sleep(0.1)


if __name__ == "__main__":
    main()

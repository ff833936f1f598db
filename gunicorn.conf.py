"""gunicorn's settings for the web service: `gunicorn -c gunicorn.conf.py config.wsgi` (Dockerfile, compose).

Sync workers, meant to sit behind the buffering proxy in `deploy/nginx/` (docs/settings.md, "Deployment"):
a request reaches a worker only once it has arrived whole. Each setting can be changed through
the environment variable named beside it.

Prometheus: every worker is its own process, so without multiprocess mode a scrape sees one
worker's counts, a different one each time. This file turns it on for every deployment
(`PROMETHEUS_MULTIPROC_DIR`, a fresh directory unless the deployer names one), empties it at
start and marks each exited worker's gauges dead.
"""

import os
import shutil
import tempfile
from pathlib import Path

# Before prometheus_client is imported anywhere: it picks its per-process value store at import,
# and every worker forks from this process.
OWN_METRICS_DIR = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if OWN_METRICS_DIR:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="cqrs-metrics-")
METRICS_DIR = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])

from prometheus_client import multiprocess  # noqa: E402  (after the directory is set, see above)

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))  # a request running longer is killed
graceful_timeout = 30
keepalive = 2
# Request line and headers: gunicorn's defaults, said here so nobody has to look them up.
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190
# Trust X-Forwarded-Proto only from the proxy (compose: the nginx container on its network).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = "-"


def on_starting(server) -> None:
    # Files a previous run left would be added into this run's totals.
    METRICS_DIR.mkdir(parents=True, exist_ok=True)
    for stale in METRICS_DIR.glob("*.db"):
        stale.unlink()


def child_exit(server, worker) -> None:
    # A dead worker's live gauges must not be summed any more; its counters stay in the totals.
    multiprocess.mark_process_dead(worker.pid)


def on_exit(server) -> None:
    if OWN_METRICS_DIR:
        shutil.rmtree(METRICS_DIR, ignore_errors=True)

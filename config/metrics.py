"""`/metrics`: Prometheus text format, for a scraper on a private network.

Command counts, latency and appended events come from the processes that served the
commands (`commands_app.framework.metrics`); projection lag is read from the database at
scrape time, so it is right whichever process answers. With `PROMETHEUS_MULTIPROC_DIR`
set, the per-process files of every gunicorn worker are summed (prometheus-client's
multiprocess mode); otherwise this process's own registry is served.

No login: scrapers rarely hold a session or a DRF token. With `METRICS_TOKEN` set, a
scrape must send `Authorization: Bearer <token>` (Prometheus: `authorization.credentials`).
"""

import hmac
import logging
import os
from collections.abc import Iterator

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

import commands_app.framework.metrics  # noqa: F401  registers the command metrics in every mode
from api.probes import probe_endpoint
from eventstore.operations import subscriber_statuses
from eventstore.replicas import replica_aliases, replica_statuses
from eventstore.store import EventStore

logger = logging.getLogger(__name__)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class ProjectionCollector(Collector):
    """Each subscriber's lag and state, read from the checkpoints when scraped."""

    def collect(self) -> Iterator[Metric]:
        lag = GaugeMetricFamily(
            "cqrs_projection_lag_events", "Events in the log after the checkpoint.", labels=["subscriber"]
        )
        lag_seconds = GaugeMetricFamily(
            "cqrs_projection_lag_seconds", "Age of the oldest event not yet handled.", labels=["subscriber"]
        )
        position = GaugeMetricFamily("cqrs_projection_position", "The subscriber's checkpoint.", labels=["subscriber"])
        failed = GaugeMetricFamily(
            "cqrs_projection_failed", "1 while the subscriber is stopped in state `failed`.", labels=["subscriber"]
        )
        head = GaugeMetricFamily("cqrs_eventstore_head_position", "The position of the last event in the log.")
        try:
            statuses = subscriber_statuses()
        except Exception:
            # A scrape must still answer with the process metrics when the database is down.
            logger.exception("could not read subscriber statuses for /metrics")
            return
        for status in statuses:
            lag.add_metric([status.name], status.lag)
            lag_seconds.add_metric([status.name], status.lag_seconds)
            position.add_metric([status.name], status.position)
            failed.add_metric([status.name], 1 if status.state == "failed" else 0)
        head.add_metric([], statuses[0].head if statuses else EventStore().head())
        yield from (lag, lag_seconds, position, failed, head)


class ReplicaCollector(Collector):
    """Each hot standby of the read database (READ_REPLICA_URLS): up, and how far behind the read primary."""

    def collect(self) -> Iterator[Metric]:
        if not replica_aliases():
            return
        up = GaugeMetricFamily("cqrs_read_replica_up", "1 while the replica answers.", labels=["replica"])
        paused = GaugeMetricFamily(
            "cqrs_read_replica_replay_paused", "1 while the replica's WAL replay is paused.", labels=["replica"]
        )
        lag_bytes = GaugeMetricFamily(
            "cqrs_read_replica_lag_bytes", "WAL written on the read primary, not yet replayed.", labels=["replica"]
        )
        lag_seconds = GaugeMetricFamily(
            "cqrs_read_replica_lag_seconds", "Age of the last replayed transaction while WAL waits.", labels=["replica"]
        )
        lag_events = GaugeMetricFamily(
            "cqrs_read_replica_lag_events",
            "The subscriber's checkpoint on the read primary minus its checkpoint on the replica.",
            labels=["replica", "subscriber"],
        )
        try:
            statuses = replica_statuses()
        except Exception:
            logger.exception("could not read the read primary for replica lag in /metrics")
            return
        for status in statuses:
            up.add_metric([status.alias], 1 if status.up else 0)
            if not status.up:
                continue
            paused.add_metric([status.alias], 1 if status.replay_paused else 0)
            lag_bytes.add_metric([status.alias], status.lag_bytes)
            lag_seconds.add_metric([status.alias], status.lag_seconds)
            for subscriber, events in (status.lag_events or {}).items():
                lag_events.add_metric([status.alias, subscriber], events)
        yield from (up, paused, lag_bytes, lag_seconds, lag_events)


def scrape_registry() -> CollectorRegistry:
    """A registry for one scrape: every process's metrics (or this one's), plus projection lag."""
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(REGISTRY)
    registry.register(ProjectionCollector())
    registry.register(ReplicaCollector())
    return registry


def authorized(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    if not token:
        return True
    given = request.headers.get("Authorization", "")
    return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


@never_cache
@probe_endpoint
def metrics(request: HttpRequest) -> HttpResponse:
    if not authorized(request):
        response = HttpResponse("Send Authorization: Bearer <METRICS_TOKEN>.\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(generate_latest(scrape_registry()), content_type=CONTENT_TYPE)

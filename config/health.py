"""`/healthz`: can this deployment do its work? JSON, for compose and orchestrators.

Outside `/api/` and without authentication: probes carry no credentials. It answers 200
when every check passes and 503 otherwise. Anyone gets only `{"status": "ok"}` or
`{"status": "failing"}`; the checks (which parts fail, worker host names, database aliases,
each subscriber's position, each read replica's lag) are for staff sessions and for `Authorization: Bearer
<HEALTHZ_TOKEN>`, since anyone who can reach the service can read the anonymous answer.
Even then it tells only states and numbers, never error texts from the log. Each check has
its own short timeout, so a dead broker or worker makes the answer a 503, not a hung probe.
"""

import hmac
import time
from collections.abc import Callable
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import connections
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

from api.probes import probe_endpoint
from eventstore.models import Checkpoint
from eventstore.operations import subscriber_statuses
from eventstore.replicas import replica_aliases, replica_statuses

Check = dict[str, Any]


def timed(check: Callable[[], Check]) -> Check:
    """Run one check; any exception means the part is unreachable, with the exception's type."""
    started = time.perf_counter()
    try:
        result = check()
    except Exception as error:
        result = {"ok": False, "error": type(error).__name__}
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def check_database() -> Check:
    # Every configured database but the replicas: with a separate read database, commands
    # need `default` and queries and projections need `read` too. Queries fall back from a
    # replica to `read`, so a replica is reported on its own (check_replicas) and fails nothing.
    aliases = [alias for alias in connections if alias not in replica_aliases()]
    for alias in aliases:
        try:
            with connections[alias].cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
        except Exception as error:
            return {"ok": False, "error": type(error).__name__, "database": alias}
    return {"ok": True, "databases": aliases}


def check_replicas() -> Check:
    """Each hot standby of the read database: up, replay paused, and how far behind the read primary."""
    return {
        "ok": True,  # informational: queries move to the read primary when a replica is down or behind
        "replicas": {
            status.alias: {
                "up": status.up,
                "replay_paused": status.replay_paused,
                "lag_bytes": status.lag_bytes,
                "lag_seconds": status.lag_seconds,
                "lag_events": status.lag_events,
            }
            for status in replica_statuses()
        },
    }


def check_broker() -> Check:
    # One attempt with a short connect timeout: kombu would otherwise retry for a long while.
    with current_app.connection_for_write(connect_timeout=settings.HEALTHZ_BROKER_TIMEOUT) as conn:
        conn.ensure_connection(max_retries=0, timeout=settings.HEALTHZ_BROKER_TIMEOUT)  # type: ignore[arg-type]  # kombu takes seconds as a float
    return {"ok": True}


def check_worker() -> Check:
    # `limit=1`: the first answer is enough, so a healthy system answers in milliseconds
    # instead of always waiting out the timeout for more workers.
    replies = current_app.control.ping(timeout=settings.HEALTHZ_WORKER_TIMEOUT, limit=1)
    names = sorted(name for reply in replies or [] for name in reply)
    return {"ok": bool(names), "answered": names}


def check_projections() -> Check:
    statuses = subscriber_statuses()
    failed = [s.name for s in statuses if s.state == Checkpoint.State.FAILED]
    return {
        "ok": not failed,
        "failed": failed,
        "subscribers": {
            s.name: {"state": s.state, "position": s.position, "lag": s.lag, "lag_seconds": s.lag_seconds}
            for s in statuses
        },
    }


def health_report() -> tuple[bool, dict[str, Any]]:
    """Every check's result, and whether all passed. The worker is pinged only through a live broker."""
    checks: dict[str, Check] = {"database": timed(check_database)}
    checks["broker"] = timed(check_broker)
    checks["worker"] = timed(check_worker) if checks["broker"]["ok"] else {"ok": False, "error": "broker unreachable"}
    if checks["database"]["ok"]:
        checks["projections"] = timed(check_projections)
    else:
        checks["projections"] = {"ok": False, "error": "database unreachable"}
    if replica_aliases() and checks["database"]["ok"]:
        checks["replicas"] = timed(check_replicas)
    failing = [name for name, check in checks.items() if not check["ok"]]
    return not failing, {"status": "ok" if not failing else "failing", "failing": failing, "checks": checks}


def may_see_details(request: HttpRequest) -> bool:
    """Staff (a session, as in the admin), or the bearer of `HEALTHZ_TOKEN` when one is set."""
    if getattr(request, "user", None) is not None and request.user.is_staff:
        return True
    token = settings.HEALTHZ_TOKEN
    given = request.headers.get("Authorization", "")
    return bool(token) and hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


@never_cache
@probe_endpoint
def healthz(request: HttpRequest) -> JsonResponse:
    healthy, body = health_report()
    if not may_see_details(request):
        body = {"status": body["status"]}
    return JsonResponse(body, status=200 if healthy else 503)

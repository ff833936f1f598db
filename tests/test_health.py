"""`/healthz` against the real PostgreSQL and Redis, with and without a Celery worker."""

from typing import Any

import pytest
from django.test import Client

from config.celery import app as celery_app
from eventstore.models import Checkpoint
from eventstore.subscriptions import ensure_checkpoint, registered_subscribers
from tests.api.helpers import register_customer
from tests.conftest import uses_redis

pytestmark = [
    pytest.mark.skipif(not uses_redis(), reason="needs Redis (CELERY_BROKER_URL), as `make test` sets"),
    pytest.mark.integration,
]


HEALTHZ_TOKEN = "probe-token-for-tests"


@pytest.fixture(autouse=True)
def healthz_token(settings):
    settings.HEALTHZ_TOKEN = HEALTHZ_TOKEN


@pytest.fixture
def quick_ping(settings):
    settings.HEALTHZ_WORKER_TIMEOUT = 0.3


def healthz(**headers: Any) -> tuple[int, dict]:
    """The detailed answer, as a monitor holding `HEALTHZ_TOKEN` reads it (no session, no DRF token)."""
    headers.setdefault("HTTP_AUTHORIZATION", f"Bearer {HEALTHZ_TOKEN}")
    response = Client().get("/healthz", **headers)
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    return response.status_code, response.json()


@pytest.mark.django_db
def test_without_a_worker_it_is_503_and_names_the_worker(quick_ping):
    status, body = healthz()
    assert status == 503
    assert body["status"] == "failing"
    assert body["failing"] == ["worker"]
    assert body["checks"]["database"]["ok"] and body["checks"]["broker"]["ok"]
    assert body["checks"]["worker"] == {"ok": False, "answered": [], "ms": body["checks"]["worker"]["ms"]}


@pytest.mark.django_db
def test_reports_lag_per_subscriber(quick_ping, api):
    register_customer(api)
    _, body = healthz()
    subscribers = body["checks"]["projections"]["subscribers"]
    assert set(subscribers) == {s.name for s in registered_subscribers()}
    assert all(s["lag"] == 1 and s["state"] == "catching_up" for s in subscribers.values())


@pytest.mark.django_db
def test_a_failed_subscriber_is_named_without_its_error_text(quick_ping):
    name = registered_subscribers()[0].name
    ensure_checkpoint(name)
    Checkpoint.objects.filter(name=name).update(state="failed", last_error="secret customer data")
    status, body = healthz()
    assert status == 503
    assert "projections" in body["failing"]
    assert body["checks"]["projections"]["failed"] == [name]
    assert "secret customer data" not in str(body)


@pytest.mark.django_db
def test_an_unreachable_broker_is_named_and_the_worker_is_not_pinged(monkeypatch):
    # A real connection attempt to a port where nothing listens.
    monkeypatch.setitem(celery_app.conf, "broker_write_url", "redis://127.0.0.1:1/0")
    status, body = healthz()
    assert status == 503
    assert body["failing"] == ["broker", "worker"]
    assert body["checks"]["broker"]["ok"] is False and body["checks"]["broker"]["ms"] < 1500
    assert body["checks"]["worker"]["error"] == "broker unreachable"


@pytest.mark.django_db
def test_anonymous_probes_learn_only_up_or_down(quick_ping, staff_client):
    # Found: anonymous /healthz showed worker host names, database aliases and every subscriber's position.
    status, body = healthz(HTTP_AUTHORIZATION="")
    assert (status, body) == (503, {"status": "failing"})
    assert healthz(HTTP_AUTHORIZATION="Bearer wrong")[1] == {"status": "failing"}
    assert healthz()[1]["failing"] == ["worker"]  # the token's bearer gets the checks
    assert staff_client.get("/healthz").json()["failing"] == ["worker"]  # and so does staff


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/healthz", "/metrics"])
@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_other_methods_than_get_and_head_are_405_json(path, method):
    # Found: POST /healthz was Django's 403 CSRF HTML page (the test client skips CSRF checks unless told).
    response = getattr(Client(enforce_csrf_checks=True), method)(path)
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert "GET and HEAD" in response.json()["detail"]
    assert Client().head(path).status_code in (200, 503)


# Last in the module: the worker fixture lives until the module ends.
def test_with_a_worker_everything_is_ok(live_worker):
    status, body = healthz()
    assert status == 200, body
    assert body["status"] == "ok" and body["failing"] == []
    assert body["checks"]["worker"]["answered"]

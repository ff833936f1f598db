"""Every way the service can fail with a 500 answers JSON with a `detail` and an `error_id`, never HTML.

Found: a renderer that failed (a lone surrogate echoed back) answered Django's HTML 500
without an error id, outside DRF's exception handler. Each fault is injected into real code
at one of the places a request passes (view, command bus, renderer, plain Django view,
middleware); the error id is in the log line with the traceback, and no traceback reaches the client.
"""

import logging

import pytest
from rest_framework.renderers import JSONRenderer

from api.middleware import NoStoreMiddleware
from commands_app.framework.repository import AggregateRepository
from config import health
from queries_app.views import OrderSummaryViewSet
from tests.conftest import token_client

pytestmark = pytest.mark.django_db


def crash(*args, **kwargs):
    raise RuntimeError("disk on fire at /srv/secret/path")


FAULTS = {
    "a query view": (OrderSummaryViewSet, "get_queryset", "get", "/api/orders/"),
    "a command": (AggregateRepository, "save", "post", "/api/commands/register-customer/"),
    "the renderer": (JSONRenderer, "render", "get", "/api/customers/"),
    "a plain Django view": (health, "health_report", "get", "/healthz"),
    "a middleware": (NoStoreMiddleware, "__call__", "get", "/api/products/"),
}


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("where", FAULTS)
def test_a_failure_anywhere_is_a_json_500_with_an_error_id(user, monkeypatch, caplog, settings, where, debug):
    if debug and where == "a middleware":
        pytest.skip("with DEBUG on, Django shows its debug page for a middleware's failure, as a developer wants")
    settings.DEBUG = debug
    target, name, method, path = FAULTS[where]
    monkeypatch.setattr(target, name, crash)
    client = token_client(user)
    client.raise_request_exception = False
    body = {"name": "Ada", "email": "ada@example.com"} if method == "post" else None

    with caplog.at_level(logging.ERROR):
        response = getattr(client, method)(path, body, format="json")

    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    error = response.json()
    assert error["error_id"] and error["error_id"] in error["detail"]
    assert b"Traceback" not in response.content and b"disk on fire" not in response.content
    logged = [r for r in caplog.records if r.levelno >= logging.ERROR and error["error_id"] in r.getMessage()]
    assert logged and logged[0].exc_info, [r.getMessage() for r in caplog.records]


def test_the_admin_keeps_djangos_own_error_page(staff_client, monkeypatch):
    monkeypatch.setattr(NoStoreMiddleware, "__call__", crash)
    staff_client.raise_request_exception = False
    response = staff_client.get("/admin/")
    assert response.status_code == 500 and response["Content-Type"].startswith("text/html")

"""Schemathesis fuzzes every operation of the project's own OpenAPI schema, commands included.

The schema is the one `/api/schema/` serves, so endpoints added later are fuzzed without a
line here. Each case is sent through the real WSGI application as a user who may send
commands, and must get: no 5xx; a documented status code, content type and body; and
events in the log only for an accepted command, exactly the ones its answer lists.

Runs in one database transaction (pytest-django's `db`), rolled back at the end, so nothing
the fuzzer wrote reaches other tests. Inputs that once broke something are kept as plain
tests in `test_fuzz_regressions.py`.
"""

import json
import os
import uuid
from collections import Counter
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from eventstore.models import Event
from tests.api.helpers import command, project
from tests.conftest import token_client
from tests.factories import CommandSenderFactory

# Examples per operation and phase. In CI the same inputs every run (derandomized), so a
# failure reproduces; by hand, FUZZ_EXAMPLES=500 FUZZ_RANDOM=1 looks further.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
# Derandomized runs also skip Hypothesis' example database, which would replay what an
# earlier randomized run on this machine found.
SEEDING: dict[str, Any] = {"derandomize": True, "database": None} if os.environ.get("FUZZ_RANDOM") != "1" else {}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


@pytest.fixture
def fuzz_user(db, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {}}  # fuzz, not get throttled
    settings.READ_YOUR_WRITES_TIMEOUT_SECONDS = 0.1  # a 503 fails the run anyway; no need to wait 2 s for it
    return CommandSenderFactory(username="fuzzer")


@pytest.fixture
def fuzz_auth(fuzz_user) -> dict[str, str]:
    # APIClient keeps what `credentials()` set in `_credentials`; there is no public reader.
    return {"Authorization": token_client(fuzz_user)._credentials["HTTP_AUTHORIZATION"]}  # type: ignore[attr-defined]


# (operation, status) -> cases; FUZZ_STATS_FILE=path writes it out as JSON, for the record.
STATS: Counter = Counter()


@pytest.fixture(scope="module", autouse=True)
def fuzz_stats():
    yield STATS
    if os.environ.get("FUZZ_STATS_FILE"):
        with open(os.environ["FUZZ_STATS_FILE"], "w") as out:
            json.dump({f"{op} -> {status}": n for (op, status), n in sorted(STATS.items())}, out, indent=1)


def served_schema() -> dict:
    """The schema exactly as `/api/schema/?format=json` serves it (built at collection, before any database)."""
    return json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))


schema = schemathesis.openapi.from_dict(served_schema())
schema.app = get_wsgi_application()

# Random ids almost never name a stored aggregate, so commands on one would only ever meet
# 404. Every operation starts with this customer and order stored and projected, and half of
# the well-formed ids the fuzzer makes up are swapped for theirs (malformed ones stay as made).
CUSTOMER_ID = "0f0f0f0f-0000-4000-8000-000000000001"
ORDER_ID = "0f0f0f0f-0000-4000-8000-000000000002"
KNOWN_IDS = {"customer_id": CUSTOMER_ID, "order_id": ORDER_ID}
STORED = {"position": 1}  # the stored order's event, set by the fixture below
NEW_AGGREGATE_FIELDS = {"/api/commands/register-customer/": "customer_id", "/api/commands/place-order/": "order_id"}


def known_half_the_time(value: object, known: str) -> object:
    try:
        parsed = uuid.UUID(str(value))
    except ValueError:
        return value
    return known if parsed.int % 2 == 0 else value


@schema.hook
def map_body(context, body):
    if isinstance(body, dict):
        new_id_field = NEW_AGGREGATE_FIELDS.get(context.operation.path)
        for field, known in KNOWN_IDS.items():
            if field in body and field != new_id_field:
                body[field] = known_half_the_time(body[field], known)
    return body


@schema.hook
def map_path_parameters(context, path_parameters):
    path = context.operation.path
    for name, value in (path_parameters or {}).items():
        if name == "id":
            known = CUSTOMER_ID if path.startswith("/api/customers/") else ORDER_ID
            path_parameters[name] = known_half_the_time(value, known)
        elif name == "stream_id" and isinstance(value, str) and len(value) % 2 == 0:  # any string: half of them
            path_parameters[name] = ORDER_ID
        elif name == "position" and isinstance(value, int) and value % 2 == 0:
            path_parameters[name] = STORED["position"]
    return path_parameters


@pytest.fixture(autouse=True)
def stored_customer_and_order(fuzz_user):
    client = token_client(fuzz_user)
    register_customer = {"customer_id": CUSTOMER_ID, "name": "Ada", "email": "ada@example.com"}
    assert command(client, "register-customer", **register_customer).status_code == 200
    assert command(client, "add-product", sku="PEN", name="A pen", price="1.50").status_code == 200
    items = [{"sku": "PEN", "quantity": 2, "unit_price": "1.50"}]
    placed = command(client, "place-order", order_id=ORDER_ID, customer_id=CUSTOMER_ID, items=items)
    assert placed.status_code == 200
    STORED["position"] = placed.json()["position"]
    project()


@pytest.fixture(autouse=True)
def wsgi_requests_keep_the_test_transaction():
    # A real WSGI request ends by closing "old" connections, which would close the test's
    # transaction under it; Django's test client unhooks the same handler for the same reason.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_the_fuzzed_schema_is_the_served_one(api):
    assert api.get("/api/schema/", {"format": "json"}).json() == served_schema()


@schema.parametrize()
@hypothesis_settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), **SEEDING)
def test_every_operation_survives_fuzzing(case, fuzz_auth):
    last = Event.objects.order_by("-position").values_list("position", flat=True).first() or 0

    response = case.call(headers=fuzz_auth)
    STATS[(f"{case.method} {case.path}", response.status_code)] += 1

    case.validate_response(response, checks=CHECKS)
    written = list(Event.objects.filter(position__gt=last).order_by("position").values_list("event_type", "position"))
    accepted = case.method == "POST" and response.status_code == 200
    if accepted and response.headers.get("idempotent-replayed") != ["true"]:  # a replay writes nothing
        body = response.json()
        assert [event_type for event_type, _ in written] == body["events"], (case.path, body)
        # A command that changes nothing writes nothing and answers with the log's head.
        assert (written[-1][1] if written else last) == body["position"], (case.path, body)
    else:
        assert written == [], (case.method, case.path, response.status_code)

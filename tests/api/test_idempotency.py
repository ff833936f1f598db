"""`Idempotency-Key` over HTTP: a repeat gets the first answer, a reused key is refused, keys are per user."""

import uuid

import pytest
from django.db import connection  # noqa: F401  `connection`: read by the skipif conditions
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from commands_app.models import IdempotencyRecord
from eventstore.models import Event
from tests.api.helpers import in_catalogue, new_id, register_customer
from tests.factories import CommandSenderFactory
from tests.threads import in_threads

pytestmark = pytest.mark.django_db


def send(api: APIClient, endpoint: str, key: str | None, body: dict, **headers):
    if key is not None:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    return api.post(f"/api/commands/{endpoint}/", body, format="json", **headers)


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


CUSTOMER = {"name": "Ada", "email": "ada@example.com"}


def test_the_same_key_and_body_replays_the_first_answer_and_writes_nothing(api):
    first = send(api, "register-customer", "key-1", CUSTOMER)
    events = Event.objects.count()
    again = send(api, "register-customer", "key-1", CUSTOMER, HTTP_X_CORRELATION_ID="retry-2")

    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()  # the generated customer id too: the command did not run again
    assert again["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert again["X-Correlation-ID"] == "retry-2"
    assert Event.objects.count() == events == 1


def test_a_replay_ignores_the_order_of_keys_in_the_body(api):
    customer = register_customer(api)
    body = {"customer_id": customer, "items": [{"sku": "A", "quantity": 1, "unit_price": "2.50"}]}
    in_catalogue(api, body["items"])
    first = send(api, "place-order", "order-1", body)
    again = send(api, "place-order", "order-1", dict(reversed(body.items())))
    assert again.status_code == 200 and again.json() == first.json()
    assert Event.objects.filter(event_type="OrderPlaced").count() == 1


def test_the_same_key_with_a_different_body_is_422_and_writes_nothing(api):
    send(api, "register-customer", "key-1", CUSTOMER)
    response = send(api, "register-customer", "key-1", {**CUSTOMER, "name": "Grace"})

    assert response.status_code == 422
    assert "key-1" in response.json()["detail"] and "different request" in response.json()["detail"]
    assert Event.objects.count() == 1


def test_the_same_key_on_another_command_is_422(api):
    customer = send(api, "register-customer", "key-1", CUSTOMER).json()["aggregate_id"]
    response = send(api, "update-customer", "key-1", {"customer_id": customer, "name": "Ada L."})
    assert response.status_code == 422 and response.json()["detail"]
    assert Event.objects.count() == 1


def test_keys_are_per_user(api):
    other = client_for(CommandSenderFactory(username="grace"))
    mine = send(api, "register-customer", "shared-key", CUSTOMER)
    theirs = send(other, "register-customer", "shared-key", {**CUSTOMER, "email": "grace@example.com"})

    assert theirs.status_code == 200 and "Idempotent-Replayed" not in theirs
    assert theirs.json()["aggregate_id"] != mine.json()["aggregate_id"]
    assert Event.objects.count() == 2 and IdempotencyRecord.objects.count() == 2


def test_a_refused_command_is_not_remembered(api):
    customer_id = new_id()
    body = {"customer_id": customer_id, "order_id": new_id(), "items": []}
    refused = send(api, "place-order", "order-key", body)
    assert refused.status_code == 422 and Event.objects.count() == 0

    send(api, "register-customer", None, {**CUSTOMER, "customer_id": customer_id})
    accepted = send(api, "place-order", "order-key", body)
    assert accepted.status_code == 200 and "Idempotent-Replayed" not in accepted


@pytest.mark.parametrize("bad_key", ["", "   ", "x" * 256, "naïve-key", "tab\there"])
def test_a_malformed_key_is_400_and_writes_nothing(api, bad_key):
    response = send(api, "register-customer", bad_key, CUSTOMER)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["detail"]
    assert Event.objects.count() == 0 and IdempotencyRecord.objects.count() == 0


def test_a_request_without_a_key_stores_nothing(api):
    send(api, "register-customer", None, CUSTOMER)
    send(api, "register-customer", None, {**CUSTOMER, "email": "ada@lovelace.org"})
    assert Event.objects.count() == 2 and IdempotencyRecord.objects.count() == 0


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="needs concurrent PostgreSQL transactions")
@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_key_run_the_command_once_and_all_get_its_answer(user):
    """Decision: the requests that lose the race wait for the winner and replay its answer (not 409)."""
    token = Token.objects.create(user=user).key

    def client(_: int):
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        return send(api, "register-customer", "same-key", CUSTOMER)

    responses = in_threads(client, 8)
    errors = [r for r in responses if isinstance(r, BaseException)]

    assert not errors, errors
    assert [r.status_code for r in responses] == [200] * 8
    assert len({r.json()["aggregate_id"] for r in responses}) == 1
    assert sum(r.has_header("Idempotent-Replayed") for r in responses) == 7
    assert Event.objects.count() == 1 and IdempotencyRecord.objects.count() == 1


def test_the_stored_result_is_the_http_body(api):
    response = send(api, "register-customer", "key-1", CUSTOMER)
    record = IdempotencyRecord.objects.get()
    # Stored before commit, so without the position the log assigns at commit: a replay reads it back.
    assert record.result == {**response.json(), "position": None}
    assert send(api, "register-customer", "key-1", CUSTOMER).json() == response.json()
    assert record.scope == f"user:{Token.objects.get().user_id}" and uuid.UUID(record.result["aggregate_id"])

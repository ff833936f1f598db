"""An unexpected exception: nothing written, logged with the correlation id, 500 with an error id, no traceback.

The fault is injected into real code (the repository's save crashes right after the append,
the worst moment), with the real bus, store and PostgreSQL transaction underneath.
"""

import logging

import pytest

from commands_app.api.serializers import RegisterCustomerSerializer
from commands_app.framework.repository import AggregateRepository
from commands_app.models import IdempotencyRecord
from eventstore.models import Event
from tests.api.helpers import register_customer

# Autocommit, as in production: "nothing written" means the real transaction rolled back.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def save_crashes_after_the_append(monkeypatch):
    original = AggregateRepository.save

    def save_then_crash(self, *args, **kwargs):
        original(self, *args, **kwargs)
        raise RuntimeError("disk on fire at /srv/secret/path")

    monkeypatch.setattr(AggregateRepository, "save", save_then_crash)


def assert_500_without_traceback(response) -> str:
    assert response.status_code == 500
    body = response.json()
    assert body["error_id"] and body["error_id"] in body["detail"]
    assert b"Traceback" not in response.content and b"disk on fire" not in response.content
    return body["error_id"]


@pytest.mark.parametrize("debug", [False, True])
def test_a_crashing_command_writes_nothing_and_answers_500_with_an_error_id(api, settings, caplog, debug, request):
    settings.DEBUG = debug
    customer = register_customer(api)
    request.getfixturevalue("save_crashes_after_the_append")

    with caplog.at_level(logging.ERROR, logger="commands"):
        response = api.post(
            "/api/commands/place-order/",
            {"customer_id": customer, "items": []},
            format="json",
            HTTP_X_CORRELATION_ID="req-500",
            HTTP_IDEMPOTENCY_KEY="crash-key",
        )

    error_id = assert_500_without_traceback(response)
    assert response["X-Correlation-ID"] == "req-500"
    assert Event.objects.count() == 1  # the customer only: the order's append was rolled back
    assert IdempotencyRecord.objects.count() == 0  # and its key with it, so the client may send it again
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR and r.name == "commands"]
    assert error_id in record.getMessage() and "req-500" in record.getMessage()
    assert record.exc_info[0] is RuntimeError  # the traceback is in the log, not in the answer


def test_a_bug_outside_the_bus_is_500_with_an_error_id_too(api, monkeypatch, caplog):
    def broken(self):
        raise KeyError("secret internals")

    monkeypatch.setattr(RegisterCustomerSerializer, "to_command", broken)
    with caplog.at_level(logging.ERROR, logger="commands"):
        response = api.post(
            "/api/commands/register-customer/",
            {"name": "Ada", "email": "ada@example.com"},
            format="json",
            HTTP_X_CORRELATION_ID="req-bug",
        )

    error_id = assert_500_without_traceback(response)
    assert b"secret internals" not in response.content
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR and r.name == "commands"]
    assert error_id in record.getMessage() and "req-bug" in record.getMessage()
    assert Event.objects.count() == 0

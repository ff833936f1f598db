"""The admin's rebuild, retry and skip actions, carried out by a real Celery worker process."""

import json
import subprocess
import sys
import uuid

import pytest
from django.test import Client

from eventstore.models import Checkpoint, SkippedEvent
from eventstore.store import EventStore
from queries_app.models import OrderSummary
from tests.api.helpers import command, place_order, register_customer, stock
from tests.conftest import REPO_ROOT, wait_until, worker_env
from tests.factories import StaffUserFactory

pytestmark = pytest.mark.worker

CHANGELIST = "/admin/eventstore/checkpoint/"


@pytest.fixture(scope="module")
def operator(live_db):
    staff = StaffUserFactory(username=f"ops-{uuid.uuid4().hex[:6]}")
    client = Client()
    client.force_login(staff)
    client.username = staff.username
    return client


def reached(name: str, position: int) -> bool:
    return Checkpoint.objects.filter(name=name, position__gte=position).exists()


def skus(order: str) -> list[str]:
    return sorted(OrderSummary.objects.get(id=order).lines.values_list("sku", flat=True))


def caught_up_order(live_api) -> str:
    # Every sku these tests order is a product in stock, so the worker's saga never cancels the order.
    for sku in ("WIDGET", "LAMP", "BAD", "GOOD"):
        stock(live_api, sku, 10, price="9.99" if sku == "WIDGET" else "1.00")
    order = place_order(live_api, register_customer(live_api))
    head = EventStore().head()
    wait_until(lambda: reached("order_summary", head) and reached("customer_view", head), message="the projections")
    return order


def fail_order_summary() -> None:
    """As if the projection had stopped on a bad event; the worker leaves a failed subscriber alone."""
    Checkpoint.objects.filter(name="order_summary").update(state="failed", last_error="simulated: disk full")


def act(client: Client, action: str, **extra) -> str:
    response = client.post(CHANGELIST, {"action": action, "_selected_action": ["order_summary"], **extra}, follow=True)
    assert response.status_code == 200
    return response.content.decode()


def test_rebuild_runs_on_the_worker_and_restores_a_damaged_read_model(live_api, live_worker, operator):
    order = caught_up_order(live_api)
    OrderSummary.objects.filter(id=order).delete()  # a read model gone wrong

    assert "Rebuild of order_summary queued" in act(operator, "rebuild_subscribers")
    summary = wait_until(lambda: OrderSummary.objects.filter(id=order).first(), message="the rebuild")
    assert (summary.item_count, str(summary.total)) == (2, "19.98")
    wait_until(lambda: "rebuilt order_summary" in live_worker.log_path.read_text(), message="the worker's log line")
    assert Checkpoint.objects.get(name="order_summary").state == "running"


def test_retry_clears_the_error_and_the_worker_catches_up(live_api, operator):
    order = caught_up_order(live_api)
    fail_order_summary()
    position = command(live_api, "add-item", order_id=order, sku="LAMP", quantity=1, unit_price="1.00").json()[
        "position"
    ]
    Checkpoint.objects.filter(name="order_summary").update(failed_position=position)
    # The worker woke up for the event (the other projection took it) but left the failed one alone.
    wait_until(lambda: reached("customer_view", position), message="the healthy projection")
    assert not reached("order_summary", position) and skus(order) == ["WIDGET"]

    page = act(operator, "retry_failed")
    assert "Retry of order_summary queued" in page
    wait_until(lambda: reached("order_summary", position), message="the retried catch-up")
    assert skus(order) == ["LAMP", "WIDGET"]
    checkpoint = Checkpoint.objects.get(name="order_summary")
    assert (checkpoint.state, checkpoint.last_error) == ("running", "")


def test_skip_asks_why_records_who_and_the_worker_goes_on_past_the_event(live_api, operator):
    order = caught_up_order(live_api)
    fail_order_summary()
    bad = command(live_api, "add-item", order_id=order, sku="BAD", quantity=1, unit_price="1.00").json()["position"]
    last = command(live_api, "add-item", order_id=order, sku="GOOD", quantity=1, unit_price="1.00").json()["position"]
    Checkpoint.objects.filter(name="order_summary").update(failed_position=bad)

    assert "Reason (required)" in act(operator, "skip_failed_event")  # no reason yet: the form, nothing skipped
    assert Checkpoint.objects.get(name="order_summary").state == "failed"
    page = act(operator, "skip_failed_event", confirm="yes", reason="ticket 42: priced in the wrong currency")
    assert f"Skipped event #{bad} for order_summary." in page and "Catch-up of order_summary queued." in page

    wait_until(lambda: reached("order_summary", last), message="the catch-up after the skip")
    assert skus(order) == ["GOOD", "WIDGET"]
    record = SkippedEvent.objects.get(subscriber="order_summary", position=bad)
    assert (record.skipped_by, record.reason) == (operator.username, "ticket 42: priced in the wrong currency")


# The admin in a process whose broker is down (nothing listens on port 9): the actions' answers.
ACT_WITHOUT_BROKER = """
import json, django
django.setup()
from django.test.utils import setup_test_environment
setup_test_environment()  # lets the test client's host in
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.test import Client
answers = {{}}
for action in ("retry_failed", "rebuild_subscribers"):
    client = Client()  # a fresh session each: messages not yet shown would carry over
    client.force_login(get_user_model().objects.get(username="{username}"))
    response = client.post("/admin/eventstore/checkpoint/", {{"action": action, "_selected_action": ["order_summary"]}})
    answers[action] = [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]
print("ANSWERS", json.dumps(answers))
"""


def test_with_the_broker_down_a_retry_still_takes_effect_and_a_rebuild_says_what_to_run(live_api, operator):
    order = caught_up_order(live_api)
    fail_order_summary()
    position = command(live_api, "add-item", order_id=order, sku="LAMP", quantity=1, unit_price="1.00").json()[
        "position"
    ]
    Checkpoint.objects.filter(name="order_summary").update(failed_position=position)

    env = worker_env(CELERY_BROKER_URL="redis://127.0.0.1:9/0", DJANGO_SETTINGS_MODULE="config.settings")
    run = subprocess.run(
        [sys.executable, "-c", ACT_WITHOUT_BROKER.format(username=operator.username)],
        env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    answers = json.loads(run.stdout.split("ANSWERS", 1)[1])
    assert answers["retry_failed"] == [
        ["warning", "Broker unreachable: order_summary catches up at the periodic sweep once the broker is back."]
    ]
    rebuild_answer = (
        "Broker unreachable: nothing was queued for order_summary; run `manage.py rebuild_projections order_summary`."
    )
    assert answers["rebuild_subscribers"] == [["error", rebuild_answer]]
    assert Checkpoint.objects.get(name="order_summary").state == "running"  # the retry took effect
    # The module's worker (its broker is up) sweeps the cleared subscriber forward.
    wait_until(lambda: reached("order_summary", position), message="the sweep after the retry")
    assert skus(order) == ["LAMP", "WIDGET"]

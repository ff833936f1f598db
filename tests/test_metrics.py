"""`/metrics`: command counts by outcome, latency, events appended, projection lag; multiprocess mode."""

import subprocess
import sys
import textwrap

import pytest
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from tests.api.helpers import command, new_id, place_confirmed_order, project, register_customer
from tests.conftest import REPO_ROOT, worker_env

pytestmark = [pytest.mark.django_db, pytest.mark.integration]


def scrape(**headers) -> dict[tuple[str, tuple], float]:
    """Every sample of one scrape, by (name, sorted labels)."""
    response = Client().get("/metrics", **headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def commands(samples: dict, name: str, outcome: str) -> float:
    return samples.get(("cqrs_commands_total", (("command", name), ("outcome", outcome))), 0.0)


def test_counts_commands_by_type_and_outcome_and_times_them(api, django_capture_on_commit_callbacks):
    before = scrape()
    with django_capture_on_commit_callbacks(execute=True):
        customer = register_customer(api)
        order = place_confirmed_order(api, customer)
        assert command(api, "ship-order", order_id=order).status_code == 200
        assert command(api, "ship-order", order_id=order).status_code == 422  # already shipped
        assert command(api, "ship-order", order_id=new_id()).status_code == 404
        stale = command(api, "add-item", order_id=order, sku="X", quantity=1, unit_price="1", expected_version=1)
        assert stale.status_code == 409
    after = scrape()

    def delta(name: str, outcome: str) -> float:
        return commands(after, name, outcome) - commands(before, name, outcome)

    assert delta("register-customer", "ok") == 1
    assert delta("ship-order", "ok") == 1
    assert delta("ship-order", "rejected") == 1
    assert delta("ship-order", "not_found") == 1
    assert delta("add-item", "conflict") == 1
    latency = ("cqrs_command_duration_seconds_count", (("command", "ship-order"),))
    assert after[latency] - before.get(latency, 0) == 3

    def appended(event_type: str) -> float:
        key = ("cqrs_events_appended_total", (("event_type", event_type),))
        return after.get(key, 0) - before.get(key, 0)

    assert appended("CustomerRegistered") == 1 and appended("OrderPlaced") == 1 and appended("OrderShipped") == 1


def test_events_of_a_rolled_back_command_are_not_counted(api, django_capture_on_commit_callbacks):
    before = scrape()
    with django_capture_on_commit_callbacks(execute=False):  # the outer transaction never commits
        register_customer(api)
    key = ("cqrs_events_appended_total", (("event_type", "CustomerRegistered"),))
    assert scrape().get(key, 0) == before.get(key, 0)


def test_projection_lag_is_read_at_scrape_time(api):
    register_customer(api)
    lag = {labels: value for (name, labels), value in scrape().items() if name == "cqrs_projection_lag_events"}
    assert lag and all(value == 1 for value in lag.values())
    project()
    samples = scrape()
    assert all(v == 0 for (name, _), v in samples.items() if name == "cqrs_projection_lag_events")
    head = samples[("cqrs_eventstore_head_position", ())]
    positions = [v for (name, _), v in samples.items() if name == "cqrs_projection_position"]
    assert head > 0 and positions == [head] * len(positions)


def test_no_login_needed_unless_a_token_is_set(settings):
    assert Client().get("/metrics").status_code == 200
    settings.METRICS_TOKEN = "s3cret"
    refused = Client().get("/metrics")
    assert refused.status_code == 401 and refused["WWW-Authenticate"].startswith("Bearer")
    assert Client().get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert scrape(HTTP_AUTHORIZATION="Bearer s3cret")


GUNICORN_WORKER = textwrap.dedent(
    """
    import django
    django.setup()
    from commands_app.domain.commands import ShipOrder
    from commands_app.framework.bus import CommandContext, CommandResult
    from commands_app.framework.metrics import MetricsMiddleware

    def handled(command, context):
        return CommandResult(aggregate_id="x", version=2, position=7, events=["OrderShipped"])

    MetricsMiddleware()(ShipOrder(order_id="00000000-0000-0000-0000-000000000001"), CommandContext(), handled)
    """
)


def test_multiprocess_mode_sums_every_process(tmp_path, monkeypatch):
    # Two processes, as two gunicorn workers would be, each writing its own files.
    env = worker_env(PROMETHEUS_MULTIPROC_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="config.settings")
    for _ in range(2):
        subprocess.run([sys.executable, "-c", GUNICORN_WORKER], env=env, cwd=REPO_ROOT, check=True, timeout=60)
    assert len(list(tmp_path.glob("*.db"))) >= 2

    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    samples = scrape()
    assert commands(samples, "ship-order", "ok") == 2
    assert samples[("cqrs_events_appended_total", (("event_type", "OrderShipped"),))] == 2
    assert samples[("cqrs_command_duration_seconds_count", (("command", "ship-order"),))] == 2
    assert any(name == "cqrs_projection_lag_events" for name, _ in samples)  # still read at scrape time

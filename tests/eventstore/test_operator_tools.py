"""The operator's tools on subscribers: management commands and admin actions."""

from io import StringIO

import pytest
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.test import Client

from eventstore.models import Checkpoint, SkippedEvent
from eventstore.store import EventStore, NewEvent
from eventstore.subscriptions import catch_up, get_subscriber
from queries_app.models import OrderSummary
from tests.api.helpers import place_order, register_customer

# Committed transactions: the recorder counts only what really committed.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]


def poison(recorder) -> None:
    EventStore().append("s", "Test", [NewEvent("TestHappened", {"poison": True}), NewEvent("TestHappened", {})], 0)
    catch_up(get_subscriber("test_recorder"))
    assert Checkpoint.objects.get(name="test_recorder").state == "failed"


def test_rebuild_projections_command_prints_progress_and_events_per_second(api):
    place_order(api, register_customer(api))
    out = StringIO()
    call_command("rebuild_projections", "--all", stdout=out)
    text = out.getvalue()
    assert "customer_view" in text and "order_summary" in text
    assert "100.0%" in text and "events/s" in text
    assert OrderSummary.objects.count() == 1


def test_rebuild_projections_command_refuses_unknown_names_and_ambiguous_arguments():
    with pytest.raises(CommandError, match="known subscribers"):
        call_command("rebuild_projections", "nope")
    with pytest.raises(CommandError, match="--all"):
        call_command("rebuild_projections")


def test_subscribers_command_status_retry_and_skip(recorder):
    poison(recorder)
    out = StringIO()
    call_command("subscribers", "status", stdout=out)
    assert "test_recorder" in out.getvalue() and "failed" in out.getvalue()

    with pytest.raises(CommandError, match="reason"):
        call_command("subscribers", "skip", "test_recorder")
    out = StringIO()
    call_command("subscribers", "skip", "test_recorder", "--reason", "bad data", "--by", "ops-bob", stdout=out)
    assert "skipped event" in out.getvalue()
    assert SkippedEvent.objects.get().skipped_by == "ops-bob"
    assert [e.data for e in recorder.handled] == [{}]
    with pytest.raises(CommandError, match="not failed"):
        call_command("subscribers", "retry", "test_recorder")


def test_admin_lists_subscribers_with_state_lag_and_error(recorder, staff_client):
    poison(recorder)
    page = staff_client.get("/admin/eventstore/checkpoint/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "test_recorder" in html and "failed" in html and "cannot digest" in html
    failed_at = Checkpoint.objects.get(name="test_recorder").failed_position
    assert f'<a href="/admin/eventstore/event/{failed_at}/change/">#{failed_at}</a>' in html
    assert "customer_view" in html and "order_summary" in html  # listed before they ever ran
    detail = staff_client.get("/admin/eventstore/checkpoint/test_recorder/change/").content.decode()
    assert "Traceback" in detail


def test_admin_retry_action(recorder, staff_client):
    poison(recorder)
    recorder.poisoned = False
    response = staff_client.post(
        "/admin/eventstore/checkpoint/", {"action": "retry_failed", "_selected_action": ["test_recorder"]}, follow=True
    )
    # The catch-up is queued for a worker (tests/admin/test_subscriber_actions_worker.py runs one).
    assert response.status_code == 200 and "Retry of test_recorder queued" in response.content.decode()
    checkpoint = Checkpoint.objects.get(name="test_recorder")
    assert (checkpoint.state, checkpoint.last_error, checkpoint.failed_position) == ("running", "", None)
    catch_up(get_subscriber("test_recorder"))  # what the queued task does
    assert len(recorder.handled) == 2


def test_admin_skip_action_asks_for_a_reason_then_records_it(recorder, staff_client, staff_user):
    poison(recorder)
    form = staff_client.post(
        "/admin/eventstore/checkpoint/", {"action": "skip_failed_event", "_selected_action": ["test_recorder"]}
    )
    assert form.status_code == 200 and "Reason" in form.content.decode()
    assert Checkpoint.objects.get(name="test_recorder").state == "failed"  # nothing skipped yet

    staff_client.post(
        "/admin/eventstore/checkpoint/",
        {
            "action": "skip_failed_event",
            "_selected_action": ["test_recorder"],
            "confirm": "yes",
            "reason": "written by the 1.2 bug",
        },
    )
    record = SkippedEvent.objects.get()
    assert (record.skipped_by, record.reason) == (staff_user.username, "written by the 1.2 bug")
    assert Checkpoint.objects.get(name="test_recorder").state == "running"


def test_staff_who_are_not_superusers_cannot_retry_or_skip(recorder, staff_user):
    poison(recorder)
    staff_user.is_superuser = False
    staff_user.save()
    staff_user.user_permissions.add(*_view_permissions())
    client = Client()
    client.force_login(staff_user)
    client.post("/admin/eventstore/checkpoint/", {"action": "retry_failed", "_selected_action": ["test_recorder"]})
    assert Checkpoint.objects.get(name="test_recorder").state == "failed"


def _view_permissions():
    return Permission.objects.filter(codename__in=["view_checkpoint", "view_event"])

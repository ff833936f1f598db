"""`GET /api/events/`: the stored log, filtered, in stable keyset pages; bad input is a 400."""

import pytest
from rest_framework.test import APIClient

from eventstore.models import Event
from tests.api.helpers import command, in_catalogue, new_id, place_order, register_customer

pytestmark = pytest.mark.django_db


def positions(body: dict) -> list[int]:
    return [event["position"] for event in body["results"]]


@pytest.fixture
def log(api):
    """Two customers, one order with a later change (and its two products): one event with a known correlation id."""
    ada = register_customer(api, "Ada", "ada@example.com")
    bob = register_customer(api, "Bob", "bob@example.com")
    order = place_order(api, ada)
    in_catalogue(api, [{"sku": "LAMP", "unit_price": "5.00"}])
    api.post(
        "/api/commands/add-item/",
        {"order_id": order, "sku": "LAMP", "quantity": 1, "unit_price": "5.00"},
        format="json",
        HTTP_X_CORRELATION_ID="req-lamp",
    )
    command(api, "cancel-order", order_id=order, reason="changed my mind")
    command(api, "update-customer", customer_id=bob, name="Robert")
    return {"ada": ada, "bob": bob, "order": order}


def test_lists_the_log_as_stored_in_position_order(api, log):
    body = api.get("/api/events/").json()
    assert positions(body) == list(Event.objects.values_list("position", flat=True))
    first = body["results"][0]
    assert first["event_type"] == "CustomerRegistered"
    assert first["stream_id"] == log["ada"]
    assert first["data"]["name"] == "Ada"
    assert first["metadata"]["command"] == "register-customer"
    assert set(first) == {
        "position", "event_id", "stream_type", "stream_id", "version", "event_type",
        "schema_version", "data", "metadata", "recorded_at",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("query", "expected_types"),
    [
        ("stream_type=Customer", ["CustomerRegistered", "CustomerRegistered", "CustomerUpdated"]),
        ("event_type=ItemAdded", ["ItemAdded"]),
        ("correlation_id=req-lamp", ["ItemAdded"]),
        ("correlation_id=nobody", []),
    ],
)
def test_filters(api, log, query, expected_types):
    body = api.get(f"/api/events/?{query}").json()
    assert [event["event_type"] for event in body["results"]] == expected_types


def test_filter_by_stream_and_after_a_position(api, log):
    stream = api.get(f"/api/events/?stream_id={log['order']}").json()["results"]
    assert [e["version"] for e in stream] == [1, 2, 3]
    after = api.get(f"/api/events/?after={stream[0]['position']}&stream_id={log['order']}").json()
    assert [e["event_type"] for e in after["results"]] == ["ItemAdded", "OrderCancelled"]


def test_detail_by_position(api, log):
    event = Event.objects.get(event_type="OrderCancelled")
    body = api.get(f"/api/events/{event.position}/").json()
    assert body["event_id"] == str(event.event_id) and body["stream_id"] == log["order"]
    assert api.get(f"/api/events/{event.position + 1000}/").status_code == 404


def test_keyset_pages_stay_stable_while_events_keep_arriving(api, log):
    first = api.get("/api/events/?page_size=4").json()
    assert len(first["results"]) == 4 and first["previous"] is None

    # New events arrive between two page reads: the next page neither repeats nor skips.
    command(api, "update-customer", customer_id=log["ada"], name="Ada L.")
    register_customer(api, "Cy", "cy@example.com")

    second = api.get(first["next"]).json()
    third = api.get(second["next"]).json() if second["next"] else {"results": []}
    seen = positions(first) + positions(second) + positions(third)
    assert seen == list(Event.objects.values_list("position", flat=True))
    assert len(seen) == len(set(seen)) == 10


def test_newest_first(api, log):
    body = api.get("/api/events/?ordering=-position&page_size=2").json()
    assert positions(body) == list(Event.objects.order_by("-position").values_list("position", flat=True)[:2])


@pytest.mark.parametrize(
    "query",
    [
        "after=abc",
        "after=1.5",
        "after=-1",
        f"after={2**63}",
        "cursor=not-a-cursor",
        "correlation_id=" + "x" * 101,
        "stream_id=a%00b",
    ],
)
def test_bad_query_values_are_a_400_with_a_detail(api, log, query):
    response = api.get(f"/api/events/?{query}")
    assert response.status_code == 400, response.content
    assert response.json()["detail"]


@pytest.mark.parametrize("position", ["abc", "1.5", "-1", str(2**63), "１"])
def test_a_malformed_position_is_a_400(api, log, position):
    response = api.get(f"/api/events/{position}/")
    assert response.status_code == 400, response.content
    assert "whole number" in response.json()["detail"]


def test_a_huge_position_that_fits_is_just_not_found(api, log):
    assert api.get(f"/api/events/{2**63 - 1}/").status_code == 404


def test_needs_a_login(log):
    anonymous = APIClient()
    assert anonymous.get("/api/events/").status_code == 401
    assert anonymous.get(f"/api/events/{Event.objects.first().position}/").status_code == 401


def test_unknown_ids_match_nothing(api, log):
    assert api.get(f"/api/events/?stream_id={new_id()}").json()["results"] == []

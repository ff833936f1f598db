"""`GET /api/streams/<stream_id>/`: an aggregate's state as of a version or a time."""

from datetime import timedelta
from urllib.parse import quote

import pytest
from rest_framework.test import APIClient

from eventstore.models import Event
from tests.api.helpers import command, fulfil, in_catalogue, new_id, place_order, register_customer, stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(api) -> str:
    """An order at version 5: placed with WIDGET, GADGET added, WIDGET removed, confirmed by the saga, shipped."""
    order_id = place_order(api, register_customer(api))
    in_catalogue(api, [{"sku": "GADGET", "unit_price": "5.00"}])
    assert command(api, "add-item", order_id=order_id, sku="GADGET", quantity=1, unit_price="5.00").status_code == 200
    assert command(api, "remove-item", order_id=order_id, sku="WIDGET").status_code == 200
    stock(api, "GADGET", 1)
    fulfil()
    assert command(api, "ship-order", order_id=order_id).status_code == 200
    return order_id


def test_the_state_as_of_a_version(api, order):
    body = api.get(f"/api/streams/{order}/?version=2").json()

    assert (body["stream_id"], body["stream_type"], body["version"], body["current_version"]) == (order, "Order", 2, 5)
    assert body["state"]["status"] == "placed"
    assert body["state"]["lines"] == [
        {"sku": "WIDGET", "quantity": 2, "unit_price": "9.99"},
        {"sku": "GADGET", "quantity": 1, "unit_price": "5.00"},
    ]
    assert [(e["version"], e["event_type"]) for e in body["events"]] == [(1, "OrderPlaced"), (2, "ItemAdded")]
    first = body["events"][0]
    assert set(first) == {"position", "version", "event_type", "data", "metadata", "recorded_at"}
    assert first["data"]["lines"] == [{"sku": "WIDGET", "quantity": 2, "unit_price": "9.99"}]
    assert first["metadata"]["command"] == "place-order"


def test_without_a_point_it_is_the_current_state(api, order):
    body = api.get(f"/api/streams/{order}/").json()
    assert (body["version"], body["state"]["status"], len(body["events"])) == (5, "shipped", 5)
    assert [line["sku"] for line in body["state"]["lines"]] == ["GADGET"]


def test_the_state_as_of_a_time(api, order):
    events = list(Event.objects.filter(stream_id=order).order_by("version"))
    at = events[2].recorded_at

    body = api.get(f"/api/streams/{order}/", {"at": at.isoformat()}).json()

    assert body["version"] == 3
    assert [line["sku"] for line in body["state"]["lines"]] == ["GADGET"]
    assert body["state"]["status"] == "placed"


def test_an_unencoded_plus_in_the_time_is_understood(api, order):
    at = Event.objects.get(stream_id=order, version=4).recorded_at.isoformat()  # "...+00:00"
    assert "+" in at
    body = api.get(f"/api/streams/{order}/?at={at}").json()  # "+" arrives as a space
    assert body["version"] == 4


def test_a_time_before_the_stream_began_is_404(api, order):
    first = Event.objects.get(stream_id=order, version=1).recorded_at
    response = api.get(f"/api/streams/{order}/?at={quote((first - timedelta(seconds=1)).isoformat())}")
    assert response.status_code == 404
    assert "no events yet" in response.json()["detail"]


def test_a_customer_stream(api):
    customer = register_customer(api, email="ada@example.com")
    command(api, "update-customer", customer_id=customer, email="ada@lovelace.org")

    body = api.get(f"/api/streams/{customer}/?version=1").json()

    assert body["stream_type"] == "Customer"
    assert body["state"] == {"name": "Ada Lovelace", "email": "ada@example.com", "forgotten": False}


def test_a_product_stream_keyed_by_its_sku(api, order):
    fulfil()  # the saga sees OrderShipped: the reserved unit leaves the stock
    body = api.get("/api/streams/product:GADGET/").json()

    assert body["stream_type"] == "Product"
    assert [e["event_type"] for e in body["events"]] == [
        "ProductAdded",
        "ProductRestocked",
        "StockReserved",
        "StockShipped",
    ]
    assert body["state"] == {
        "sku": "GADGET", "name": "The gadget", "price": "5.00", "on_hand": 0, "reserved": 0,
        "discontinued": False, "legacy_holds": {}
    }  # fmt: skip
    as_reserved = api.get("/api/streams/product:GADGET/?version=3").json()["state"]
    assert (as_reserved["on_hand"], as_reserved["reserved"]) == (1, 1)


def test_an_orders_hold_of_a_product_is_a_stream_of_its_own(api, order):
    fulfil()
    body = api.get(f"/api/streams/stock-hold:{order}:GADGET/").json()

    assert body["stream_type"] == "StockHold"
    assert [(e["event_type"], e["data"]["held"]) for e in body["events"]] == [
        ("StockHoldChanged", 1),
        ("StockHoldChanged", 0),
    ]
    assert body["state"] == {"sku": "GADGET", "order_id": order, "held": 0}
    assert api.get(f"/api/streams/stock-hold:{order}:GADGET/?version=1").json()["state"]["held"] == 1


def test_a_stream_with_no_aggregate_class_has_events_but_no_state(api):
    Event.objects.create(stream_type="Thing", stream_id="thing-1", version=1, event_type="ThingHappened", data={"n": 1})
    body = api.get("/api/streams/thing-1/").json()
    assert (body["state"], body["events"][0]["data"]) == (None, {"n": 1})


def test_unknown_stream_is_404(api):
    response = api.get(f"/api/streams/{new_id()}/")
    assert response.status_code == 404
    assert "No stream" in response.json()["detail"]


@pytest.mark.parametrize(
    "query, message",
    [
        ("version=0", "version must be"),
        ("version=-1", "version must be"),
        ("version=abc", "version must be"),
        ("version=1.5", "version must be"),
        ("version=99", "at version 5"),
        ("at=yesterday", "ISO 8601"),
        ("at=2026-13-45T00:00:00Z", "ISO 8601"),
        ("version=1&at=2026-01-01T00:00:00Z", "not both"),
    ],
)
def test_bad_version_or_time_is_400_with_detail(api, order, query, message):
    response = api.get(f"/api/streams/{order}/?{query}")
    assert response.status_code == 400
    assert message in response.json()["detail"]


def test_needs_authentication(order):
    assert APIClient().get(f"/api/streams/{order}/").status_code in (401, 403)


def test_an_id_no_stream_can_have_is_404_not_a_server_error(api):
    response = api.get(f"/api/streams/{'x' * 200}/")
    assert response.status_code == 404 and response.json()["detail"]
    # NUL is refused for every URL before any view (api.middleware): an id that cannot be used, 400.
    response = api.get("/api/streams/bad%00id/")
    assert response.status_code == 400 and "NUL" in response.json()["detail"]

"""The admin's stream page: every event of one stream in order, with the aggregate's state after each."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from eventstore.models import Event
from eventstore.store import EventStore, NewEvent
from eventstore.stream_history import stream_history
from tests.api.helpers import command, fulfil, in_catalogue, place_order, register_customer, stock
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(api) -> str:
    stock(api, "WIDGET", 5)
    stock(api, "LAMP", 5, price="19.99")
    order = place_order(api, register_customer(api))
    command(api, "add-item", order_id=order, sku="LAMP", quantity=1, unit_price="19.99")
    fulfil()  # the saga reserves both lines and confirms the order, so it can ship
    assert command(api, "ship-order", order_id=order).status_code == 200
    return order


def stream_url(stream_id: str) -> str:
    return f"/admin/eventstore/event/stream/{stream_id}/"


def test_the_stream_page_shows_each_event_with_the_state_after_it(staff_client, order):
    page = staff_client.get(stream_url(order))
    assert page.status_code == 200
    history = page.context["history"]
    assert (history.stream_type, history.current_version, history.has_state) == ("Order", 4, True)
    assert [e.event.event_type for e in history.entries] == [
        "OrderPlaced",
        "ItemAdded",
        "OrderConfirmed",
        "OrderShipped",
    ]
    widget = {"sku": "WIDGET", "quantity": 2, "unit_price": "9.99"}
    lamp = {"sku": "LAMP", "quantity": 1, "unit_price": "19.99"}
    assert [e.state["lines"] for e in history.entries] == [[widget], [widget, lamp], [widget, lamp], [widget, lamp]]
    assert [e.state["status"] for e in history.entries] == ["placed", "placed", "confirmed", "shipped"]
    assert [e.changed for e in history.entries] == [
        ("customer_id", "status", "ordered_skus", "lines"),
        ("ordered_skus", "lines"),
        ("status",),
        ("status",),
    ]

    html = page.content.decode()
    assert 'class="state-key changed" data-key="status">status: &quot;shipped&quot;' in html
    assert "&quot;LAMP&quot;" in html
    correlation_id = Event.objects.get(event_type="ItemAdded").metadata["correlation_id"]
    assert f"/admin/eventstore/event/correlation/{correlation_id}/" in html


def test_a_later_page_replays_what_came_before_it(api, staff_client):
    order = place_order(api, register_customer(api), items=[])
    in_catalogue(api, [{"sku": sku, "unit_price": "1.00"} for sku in "ABCDE"])
    for sku in "ABCDE":
        command(api, "add-item", order_id=order, sku=sku, quantity=1, unit_price="1.00")

    page = stream_history(order, page=2, page_size=2)  # versions 3 and 4
    assert [entry.event.version for entry in page.entries] == [3, 4]
    assert [[line["sku"] for line in entry.state["lines"]] for entry in page.entries] == [["A", "B"], ["A", "B", "C"]]
    assert page.entries[0].changed == ("ordered_skus", "lines")  # measured against version 2, before the page
    assert page.page_count == 3

    last = staff_client.get(stream_url(order), {"page": "99"}).context["history"]  # past the end: the last page
    assert last.page == 1 and [e.event.version for e in last.entries] == [1, 2, 3, 4, 5, 6]


def test_a_stream_without_an_aggregate_class_shows_its_events_alone(staff_client):
    EventStore().append("import-1", "LegacyImport", [NewEvent("RowImported", {"row": 1})], expected_version=0)
    page = staff_client.get(stream_url("import-1"))
    assert page.status_code == 200 and page.context["history"].has_state is False
    html = page.content.decode()
    assert "RowImported" in html and "No aggregate class is registered for stream type LegacyImport" in html


def test_events_the_aggregate_cannot_replay_are_shown_with_the_reason(staff_client):
    EventStore().append("broken-1", "Order", [NewEvent("OrderTeleported", {"to": "Mars"})], expected_version=0)
    page = staff_client.get(stream_url("broken-1"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "OrderTeleported" in html and "The state could not be rebuilt" in html and "UnknownEventType" in html


def test_unknown_streams_are_404_and_the_page_needs_permission_to_view_events(staff_client, order):
    assert staff_client.get(stream_url("no-such-stream")).status_code == 404
    assert staff_client.get(stream_url("x" * 200)).status_code == 404

    clerk = UserFactory(username="clerk", is_staff=True)
    client = Client()
    client.force_login(clerk)
    assert client.get(stream_url(order)).status_code == 403
    clerk.user_permissions.add(Permission.objects.get(codename="view_event"))
    assert client.get(stream_url(order)).status_code == 200

    outsider = Client()
    outsider.force_login(UserFactory(username="outsider"))
    response = outsider.get(stream_url(order))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_the_event_list_links_each_stream_id_to_its_stream_page(staff_client, order):
    html = staff_client.get("/admin/eventstore/event/").content.decode()
    assert f'href="{stream_url(order)}"' in html

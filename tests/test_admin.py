"""The admin shows every event to staff, read-only, and nothing to anyone else."""

import pytest
from django.test import Client

from eventstore.models import Event
from tests.api.helpers import command, in_catalogue, place_order, register_customer

pytestmark = [pytest.mark.django_db, pytest.mark.integration]


@pytest.fixture
def events(api):
    customer = register_customer(api)
    order = place_order(api, customer)
    in_catalogue(api, [{"sku": "LAMP", "unit_price": "19.99"}])
    command(api, "add-item", order_id=order, sku="LAMP", quantity=1, unit_price="19.99")
    return {"customer": customer, "order": order}


def test_event_list_renders_with_filters_and_search(staff_client, events):
    page = staff_client.get("/admin/eventstore/event/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "OrderPlaced" in html and "CustomerRegistered" in html
    assert "By stream type" in html and "By event type" in html and "By recorded at" in html

    filtered = staff_client.get("/admin/eventstore/event/?event_type=ItemAdded").content.decode()
    assert "ItemAdded" in filtered and "CustomerRegistered</td>" not in filtered


def test_search_by_stream_id_and_by_event_id(staff_client, events):
    by_stream = staff_client.get("/admin/eventstore/event/", {"q": events["order"]}).context["cl"].result_list
    assert [e.event_type for e in by_stream] == ["ItemAdded", "OrderPlaced"]  # newest first
    event = Event.objects.get(event_type="CustomerRegistered")
    by_id = staff_client.get("/admin/eventstore/event/", {"q": str(event.event_id)}).context["cl"].result_list
    assert list(by_id) == [event]
    assert staff_client.get("/admin/eventstore/event/", {"q": "no such thing"}).status_code == 200


def test_stream_link_opens_the_stream_page_and_the_filtered_list_is_in_version_order(staff_client, events):
    order = events["order"]
    page = staff_client.get("/admin/eventstore/event/")
    assert f"/admin/eventstore/event/stream/{order}/" in page.content.decode()
    stream = staff_client.get(f"/admin/eventstore/event/?stream_id={order}").context["cl"].result_list
    assert [e.version for e in stream] == [1, 2]


def test_detail_shows_pretty_json_data_and_metadata(staff_client, events):
    event = Event.objects.get(event_type="ItemAdded")
    page = staff_client.get(f"/admin/eventstore/event/{event.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "&quot;unit_price&quot;: &quot;19.99&quot;" in html
    assert "correlation_id" in html
    assert 'type="submit"' not in html or "Save" not in html


def test_nobody_can_add_change_or_delete_events(staff_client, events):
    event = Event.objects.get(event_type="ItemAdded")
    assert staff_client.get("/admin/eventstore/event/add/").status_code == 403
    response = staff_client.post(f"/admin/eventstore/event/{event.pk}/change/", {"event_type": "Forged", "data": "{}"})
    assert response.status_code == 403
    assert staff_client.post(f"/admin/eventstore/event/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    event.refresh_from_db()
    assert event.event_type == "ItemAdded"
    assert Event.objects.count() == 5  # the customer, two products, the order and its item


def test_non_staff_are_sent_to_the_login_page(user, events):
    client = Client()
    client.force_login(user)
    response = client.get("/admin/eventstore/event/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert Client().get("/admin/eventstore/event/").status_code == 302

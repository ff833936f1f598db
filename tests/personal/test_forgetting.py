"""Personal fields sealed per customer, forgetting by destroying the key, and what reads them afterwards."""

import json
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection

from commands_app.domain.customer import Customer
from commands_app.wiring import aggregate_repository as repository
from eventstore.models import DataKey, Event, Snapshot
from eventstore.personal.keys import key_store
from eventstore.personal.sealing import PERSONAL
from queries_app.models import CustomerView, OrderCustomerName, OrderSummary
from tests.api.helpers import command, new_id, place_order, project, register_customer, stock
from tests.personal.helpers import forgetter_api

pytestmark = pytest.mark.django_db

NAME, EMAIL = "Grace Hopper-Personal", "grace.personal@example.com"


def stored_data(stream_id: str) -> list[dict]:
    return list(Event.objects.filter(stream_id=stream_id).order_by("version").values_list("data", flat=True))


def raw_event_text(stream_id: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT data::text FROM eventstore_event WHERE stream_id = %s", [stream_id])
        return " ".join(row[0] for row in cursor.fetchall())


def test_personal_fields_are_stored_sealed_and_read_back_plain(api):
    customer_id = register_customer(api, NAME, EMAIL)
    (data,) = stored_data(customer_id)
    assert set(data) == {PERSONAL}
    assert data[PERSONAL]["subject"] == customer_id and data[PERSONAL]["fields"] == ["name", "email"]
    assert NAME not in raw_event_text(customer_id) and EMAIL not in raw_event_text(customer_id)
    assert DataKey.objects.filter(subject=customer_id).exists()
    # Every reader sees the plain values: the store, the events API, the streams API.
    assert repository().load(Customer, customer_id).name == NAME
    (event,) = api.get("/api/events/", {"stream_id": customer_id}).json()["results"]
    assert event["data"] == {"name": NAME, "email": EMAIL}
    assert api.get(f"/api/events/{event['position']}/").json()["data"] == {"name": NAME, "email": EMAIL}
    stream = api.get(f"/api/streams/{customer_id}/").json()
    assert stream["events"][0]["data"] == {"name": NAME, "email": EMAIL}


def test_each_value_has_its_own_nonce_and_each_customer_its_own_key(api):
    # The same name, other emails (emails are unique): the ciphertexts still differ.
    first, second = register_customer(api, NAME), register_customer(api, NAME)
    sealed = [stored_data(c)[0][PERSONAL]["sealed"] for c in (first, second)]
    assert sealed[0] != sealed[1]
    keys = key_store().keys_for_reading([first, second])
    assert keys[first] != keys[second]


def test_forget_needs_its_own_permission(api, reader_api):
    customer_id = register_customer(api, NAME, EMAIL)
    refused = command(api, "forget-customer", customer_id=customer_id)  # send_commands is not enough
    assert refused.status_code == 403
    assert "commands_app.forget_subjects" in refused.json()["detail"]
    assert command(reader_api, "forget-customer", customer_id=customer_id).status_code == 403
    assert DataKey.objects.filter(subject=customer_id).exists()
    assert [e.event_type for e in repository().store.load(customer_id)] == ["CustomerRegistered"]


def test_forgetting_destroys_the_key_and_records_it_once(api):
    forgetter = forgetter_api()
    customer_id = register_customer(api, NAME, EMAIL)
    done = command(forgetter, "forget-customer", customer_id=customer_id)
    assert done.status_code == 200, done.json()
    assert done.json()["events"] == ["CustomerForgotten"]
    assert not DataKey.objects.filter(subject=customer_id).exists()
    (forgotten_data,) = stored_data(customer_id)[1:]
    assert forgotten_data == {}  # CustomerForgotten carries no personal data
    again = command(forgetter, "forget-customer", customer_id=customer_id)
    assert again.status_code == 200 and again.json()["events"] == []  # idempotent: no second event
    assert len(stored_data(customer_id)) == 2


def test_forgetting_an_unknown_customer_is_404_and_bad_input_400():
    forgetter = forgetter_api()
    missing = command(forgetter, "forget-customer", customer_id=new_id())
    assert missing.status_code == 404 and "No customer" in missing.json()["detail"]
    assert command(forgetter, "forget-customer", customer_id="nope").status_code == 400
    assert Event.objects.count() == 0


def test_after_forgetting_every_reader_shows_the_fields_as_forgotten(api):
    customer_id = register_customer(api, NAME, EMAIL)
    assert command(api, "update-customer", customer_id=customer_id, name="Grace H.").status_code == 200
    assert command(forgetter_api(), "forget-customer", customer_id=customer_id).status_code == 200
    customer = repository().load(Customer, customer_id)
    assert (customer.name, customer.email, customer.forgotten, customer.version) == (None, None, True, 3)
    events = api.get("/api/events/", {"stream_id": customer_id}).json()["results"]
    assert [e["data"] for e in events] == [
        {"name": None, "email": None, "forgotten": True},
        {"name": None, "email": None, "forgotten": True},
        {},
    ]
    stream = api.get(f"/api/streams/{customer_id}/", {"version": 1}).json()  # time travel
    assert stream["events"][0]["data"] == {"name": None, "email": None, "forgotten": True}
    assert NAME not in json.dumps(stream)


def test_commands_on_a_forgotten_customer_are_refused_422(api):
    customer_id = register_customer(api, NAME, EMAIL)
    assert command(forgetter_api(), "forget-customer", customer_id=customer_id).status_code == 200
    update = command(api, "update-customer", customer_id=customer_id, name="Back again")
    assert update.status_code == 422 and "forgotten" in update.json()["detail"]
    order = command(
        api, "place-order", customer_id=customer_id, items=[{"sku": "WIDGET", "quantity": 1, "unit_price": "1.00"}]
    )
    assert order.status_code == 422 and "forgotten" in order.json()["detail"]
    assert len(stored_data(customer_id)) == 2
    assert not Event.objects.filter(event_type="OrderPlaced").exists()
    assert not DataKey.objects.filter(subject=customer_id).exists()  # no refused command made a new key


def read_rows(customer_id: str) -> tuple:
    customer: dict[str, Any] = dict(CustomerView.objects.values().get(pk=customer_id))
    customer.pop("updated_at")
    orders = sorted(OrderSummary.objects.filter(customer_id=customer_id).values_list("id", "customer_name", "total"))
    names = list(OrderCustomerName.objects.filter(customer_id=customer_id).values_list("name", flat=True))
    return customer, orders, names


def test_projections_scrub_on_forgetting_and_a_rebuild_gives_the_same_rows(api):
    stock(api, "WIDGET", 10)
    customer_id = register_customer(api, NAME, EMAIL)
    order_id = place_order(api, customer_id)
    project()
    assert CustomerView.objects.get(pk=customer_id).email == EMAIL
    assert OrderSummary.objects.get(pk=order_id).customer_name == NAME
    assert command(forgetter_api(), "forget-customer", customer_id=customer_id).status_code == 200
    project()
    scrubbed = read_rows(customer_id)
    customer, orders, names = scrubbed
    assert (customer["name"], customer["email"], customer["forgotten"]) == ("", "", True)
    assert customer["order_count"] == 1 and str(customer["total_spent"]) == "19.98"  # the business history stays
    assert [(str(o), n, str(t)) for o, n, t in orders] == [(order_id, "", "19.98")]
    assert names == [""]
    for name in ("customer_view", "order_summary"):
        call_command("rebuild_projections", name, verbosity=0)
    assert read_rows(customer_id) == scrubbed


def test_events_written_before_sealing_still_load(api):
    # A row from before this change: plain name and email in the data.
    customer_id = new_id()
    Event.objects.create(
        stream_type="Customer",
        stream_id=customer_id,
        version=1,
        event_type="CustomerRegistered",
        data={"name": "Old Plain", "email": "old@example.com"},
    )
    assert repository().load(Customer, customer_id).name == "Old Plain"
    assert command(api, "update-customer", customer_id=customer_id, email="new@example.com").status_code == 200
    assert repository().load(Customer, customer_id).email == "new@example.com"
    assert PERSONAL in stored_data(customer_id)[1]  # what is written now is sealed


def test_a_key_deleted_by_hand_reads_as_forgotten_not_an_error(api):
    customer_id = register_customer(api, NAME, EMAIL)
    DataKey.objects.filter(subject=customer_id).delete()
    assert repository().load(Customer, customer_id).name is None
    response = api.get("/api/events/", {"stream_id": customer_id})
    assert response.status_code == 200
    assert response.json()["results"][0]["data"] == {"name": None, "email": None, "forgotten": True}


def test_snapshots_hold_personal_data_sealed_and_are_dropped_on_forgetting(api, settings):
    settings.EVENTSTORE_SNAPSHOT_EVERY = {"Customer": 2}
    customer_id = register_customer(api, NAME, EMAIL)
    assert command(api, "update-customer", customer_id=customer_id, name=NAME + " Jr").status_code == 200
    snapshot = Snapshot.objects.get(stream_id=customer_id)
    assert PERSONAL in snapshot.state and NAME not in json.dumps(snapshot.state)
    assert repository().load(Customer, customer_id).name == NAME + " Jr"  # restored from the sealed snapshot
    assert command(forgetter_api(), "forget-customer", customer_id=customer_id).status_code == 200
    assert not Snapshot.objects.filter(stream_id=customer_id).exists()
    assert repository().load(Customer, customer_id).forgotten


def test_forgetting_frees_the_customers_email_and_leaves_no_reservation(api):
    """The reservation (#15) is personal data too: forgetting deletes it, so the address can be taken again."""
    from commands_app.models import EmailReservation

    email = f"forget-{new_id()}@example.com"
    customer_id = register_customer(api, email=email)
    assert command(api, "register-customer", name="Someone else", email=email.upper()).status_code == 409
    assert EmailReservation.objects.filter(customer_id=customer_id).exists()

    assert command(forgetter_api(), "forget-customer", customer_id=customer_id).status_code == 200

    assert not EmailReservation.objects.filter(customer_id=customer_id).exists()
    assert command(api, "register-customer", name="Someone else", email=email).status_code == 200

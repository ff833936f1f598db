"""The command endpoints over real HTTP requests: every status code, and bad input writes nothing."""

import uuid

import pytest
from rest_framework.test import APIClient

from eventstore.models import Event
from eventstore.personal.sealing import open_one
from tests.api.helpers import (
    command,
    fulfil,
    in_catalogue,
    new_id,
    place_confirmed_order,
    place_order,
    register_customer,
    stock,
)

pytestmark = pytest.mark.django_db


def test_register_customer_answers_with_what_happened(api):
    customer_id = new_id()
    response = command(api, "register-customer", customer_id=customer_id, name="Ada", email="ada@example.com")

    assert response.status_code == 200
    body = response.json()
    assert body == {
        "aggregate_id": customer_id,
        "version": 1,
        "position": Event.objects.get().position,
        "events": ["CustomerRegistered"],
    }


def test_register_customer_generates_an_id_when_absent(api):
    body = command(api, "register-customer", name="Ada", email="ada@example.com").json()
    assert uuid.UUID(body["aggregate_id"])


def test_events_carry_who_sent_the_command_and_the_correlation_id(api, user):
    response = api.post(
        "/api/commands/register-customer/",
        {"name": "Ada", "email": "ada@example.com"},
        format="json",
        HTTP_X_CORRELATION_ID="req-42",
    )
    assert response["X-Correlation-ID"] == "req-42"
    metadata = Event.objects.get().metadata
    assert metadata["correlation_id"] == "req-42"
    assert metadata["user"] == user.username
    assert metadata["command"] == "register-customer"


def test_the_whole_order_lifecycle(api):
    customer = register_customer(api)
    stock(api, "WIDGET", 5)
    order = place_order(api, customer)
    in_catalogue(api, [{"sku": "GADGET", "unit_price": "5.00"}])
    add = command(api, "add-item", order_id=order, sku="GADGET", quantity=1, unit_price="5.00")
    assert add.json()["events"] == ["ItemAdded"] and add.json()["version"] == 2
    assert command(api, "remove-item", order_id=order, sku="GADGET").json()["version"] == 3
    refused = command(api, "ship-order", order_id=order)
    assert refused.status_code == 422 and "only a confirmed order can be shipped" in refused.json()["detail"]
    fulfil()  # the saga reserves the stock and confirms the order
    ship = command(api, "ship-order", order_id=order, expected_version=4)
    assert ship.status_code == 200 and ship.json()["events"] == ["OrderShipped"]
    assert [e.event_type for e in Event.objects.filter(stream_id=order)] == [
        "OrderPlaced",
        "ItemAdded",
        "ItemRemoved",
        "OrderConfirmed",
        "OrderShipped",
    ]


def test_update_customer(api):
    customer = register_customer(api)
    response = command(api, "update-customer", customer_id=customer, email="ada@lovelace.org")
    assert response.status_code == 200
    assert open_one(Event.objects.last().data) == {"name": "Ada Lovelace", "email": "ada@lovelace.org"}


def test_cancel_order(api):
    order = place_order(api, register_customer(api))
    response = command(api, "cancel-order", order_id=order, reason="found it cheaper")
    assert response.status_code == 200 and response.json()["events"] == ["OrderCancelled"]


def test_place_order_with_no_items_is_allowed(api):
    order = place_order(api, register_customer(api), items=[])
    assert Event.objects.get(stream_id=order).data["lines"] == []


# Error statuses. Each must answer with a `detail` and write nothing.


def assert_refused(response, status: int, events_before: int) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert isinstance(body.get("detail"), str) and body["detail"]
    assert Event.objects.count() == events_before
    return body


def test_401_without_a_token():
    response = APIClient().post("/api/commands/register-customer/", {"name": "A", "email": "a@b.co"}, format="json")
    assert_refused(response, 401, 0)


def test_token_exchange_then_use(user):
    client = APIClient()
    response = client.post(
        "/api/auth/token/", {"username": user.username, "password": "correct horse battery staple"}, format="json"
    )
    assert response.status_code == 200
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert command(client, "register-customer", name="Ada", email="ada@example.com").status_code == 200


def test_token_exchange_with_a_wrong_password_is_400_with_detail(user):
    response = APIClient().post("/api/auth/token/", {"username": user.username, "password": "nope"}, format="json")
    assert response.status_code == 400 and response.json()["detail"]


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("update-customer", {"customer_id": "00000000-0000-0000-0000-000000000001", "name": "X"}),
        (
            "add-item",
            {"order_id": "00000000-0000-0000-0000-000000000001", "sku": "A", "quantity": 1, "unit_price": "1"},
        ),
        ("remove-item", {"order_id": "00000000-0000-0000-0000-000000000001", "sku": "A"}),
        ("ship-order", {"order_id": "00000000-0000-0000-0000-000000000001"}),
        ("cancel-order", {"order_id": "00000000-0000-0000-0000-000000000001", "reason": "x"}),
    ],
)
def test_404_for_an_unknown_aggregate(api, name, body):
    assert_refused(command(api, name, **body), 404, 0)


def test_404_when_the_id_belongs_to_another_kind_of_aggregate(api):
    customer = register_customer(api)
    assert_refused(command(api, "ship-order", order_id=customer), 404, 1)


def test_409_registering_an_existing_customer_id(api):
    customer = register_customer(api)
    response = command(api, "register-customer", customer_id=customer, name="Other", email="o@example.com")
    assert_refused(response, 409, 1)


def test_409_placing_an_existing_order_id(api):
    customer = register_customer(api)
    order = place_order(api, customer)
    response = command(api, "place-order", customer_id=customer, order_id=order, items=[])
    assert_refused(response, 409, Event.objects.count())


def test_409_on_an_expected_version_mismatch(api):
    order = place_order(api, register_customer(api))
    body = assert_refused(command(api, "ship-order", order_id=order, expected_version=7), 409, Event.objects.count())
    assert body["current_version"] == 1


def test_422_placing_an_order_for_an_unknown_customer(api):
    response = command(api, "place-order", customer_id=new_id(), items=[])
    assert "customer" in assert_refused(response, 422, 0)["detail"]


def test_422_adding_a_sku_at_a_different_price(api):
    order = place_order(api, register_customer(api))
    command(api, "change-product-price", sku="WIDGET", price="10.00")  # the catalogue's price moved on
    response = command(api, "add-item", order_id=order, sku="WIDGET", quantity=1, unit_price="10.00")
    body = assert_refused(response, 422, Event.objects.count())
    assert "already on order" in body["detail"] and "9.99" in body["detail"]


def test_adding_a_sku_at_the_same_price_adds_to_its_quantity(api):
    order = place_order(api, register_customer(api))
    assert command(api, "add-item", order_id=order, sku="WIDGET", quantity=3, unit_price="9.99").status_code == 200


@pytest.mark.parametrize("closing", ["ship-order", "cancel-order"])
def test_422_changing_a_closed_order(api, closing):
    order = place_confirmed_order(api, register_customer(api))
    closed = command(api, closing, order_id=order, **({"reason": "r"} if closing == "cancel-order" else {}))
    assert closed.status_code == 200
    response = command(api, "add-item", order_id=order, sku="X", quantity=1, unit_price="1")
    assert_refused(response, 422, Event.objects.count())


def test_422_shipping_an_order_the_saga_has_not_confirmed(api):
    order = place_order(api, register_customer(api))
    body = assert_refused(command(api, "ship-order", order_id=order), 422, Event.objects.count())
    assert "only a confirmed order can be shipped" in body["detail"]


def test_a_confirmed_order_can_be_cancelled_and_shipped_only_once(api):
    order = place_confirmed_order(api, register_customer(api))
    assert command(api, "cancel-order", order_id=order, reason="changed my mind").status_code == 200
    assert_refused(command(api, "cancel-order", order_id=order, reason="again"), 422, Event.objects.count())
    assert_refused(command(api, "ship-order", order_id=order), 422, Event.objects.count())


def test_422_shipping_an_empty_order(api):
    order = place_order(api, register_customer(api), items=[])
    assert_refused(command(api, "ship-order", order_id=order), 422, Event.objects.count())


ORDER_ID = "00000000-0000-0000-0000-000000000001"


@pytest.mark.parametrize(
    ("name", "body", "field"),
    [
        ("register-customer", {"name": "Ada", "email": "not-an-email"}, "email"),
        ("register-customer", {"name": "", "email": "a@example.com"}, "name"),
        ("register-customer", {"name": 12, "email": "a@example.com"}, "name"),
        ("register-customer", {"email": "a@example.com"}, "name"),
        ("register-customer", {"name": "Ada", "email": "a@example.com", "customer_id": "123"}, "customer_id"),
        ("register-customer", {"name": "Ada", "email": "a@example.com", "admin": True}, "admin"),
        ("update-customer", {"customer_id": ORDER_ID}, "non_field_errors"),
        ("add-item", {"order_id": ORDER_ID, "sku": "A", "quantity": 0, "unit_price": "1"}, "quantity"),
        ("add-item", {"order_id": ORDER_ID, "sku": "A", "quantity": -5, "unit_price": "1"}, "quantity"),
        ("add-item", {"order_id": ORDER_ID, "sku": "A", "quantity": 10**30, "unit_price": "1"}, "quantity"),
        ("add-item", {"order_id": ORDER_ID, "sku": "A", "quantity": "5", "unit_price": "1"}, "quantity"),
        ("add-item", {"order_id": ORDER_ID, "sku": "A", "quantity": 1.5, "unit_price": "1"}, "quantity"),
        ("add-item", {"order_id": ORDER_ID, "sku": "A", "quantity": True, "unit_price": "1"}, "quantity"),
        ("add-item", {"order_id": ORDER_ID, "sku": "A", "quantity": 1, "unit_price": "-1"}, "unit_price"),
        ("add-item", {"order_id": ORDER_ID, "sku": "A", "quantity": 1, "unit_price": "1.001"}, "unit_price"),
        ("add-item", {"order_id": ORDER_ID, "sku": "A", "quantity": 1, "unit_price": "1e30"}, "unit_price"),
        ("add-item", {"order_id": ORDER_ID, "sku": "A", "quantity": 1, "unit_price": "NaN"}, "unit_price"),
        ("add-item", {"order_id": ORDER_ID, "sku": "A", "quantity": 1, "unit_price": "abc"}, "unit_price"),
        ("add-item", {"order_id": ORDER_ID, "sku": "", "quantity": 1, "unit_price": "1"}, "sku"),
        ("add-item", {"order_id": ORDER_ID, "sku": "x" * 65, "quantity": 1, "unit_price": "1"}, "sku"),
        ("add-item", {"order_id": "not-a-uuid", "sku": "A", "quantity": 1, "unit_price": "1"}, "order_id"),
        ("ship-order", {"order_id": ORDER_ID, "expected_version": -1}, "expected_version"),
        ("cancel-order", {"order_id": ORDER_ID, "reason": ""}, "reason"),
        ("place-order", {"customer_id": ORDER_ID, "items": "lots"}, "items"),
        ("place-order", {"customer_id": ORDER_ID, "items": [{"sku": "A", "unit_price": "1"}]}, "items"),
        (
            "place-order",
            {"customer_id": ORDER_ID, "items": [{"sku": "A", "quantity": 1, "unit_price": "1", "x": 1}]},
            "items",
        ),
    ],
)
def test_400_for_invalid_input_names_the_field(api, name, body, field):
    response = api.post(f"/api/commands/{name}/", body, format="json")
    result = assert_refused(response, 400, 0)
    assert field in result["errors"], result


def test_400_for_duplicate_skus_in_one_order(api):
    customer = register_customer(api)
    items = [{"sku": "A", "quantity": 1, "unit_price": "1"}, {"sku": "A", "quantity": 2, "unit_price": "1"}]
    body = assert_refused(command(api, "place-order", customer_id=customer, items=items), 400, 1)
    assert "repeated: A" in body["detail"]


@pytest.mark.parametrize("raw", ["{not json", "[1, 2]", '"text"', "null", ""])
def test_400_for_a_body_that_is_not_a_json_object(api, raw):
    response = api.post("/api/commands/register-customer/", raw, content_type="application/json")
    assert_refused(response, 400, 0)


def test_unknown_command_is_404(api):
    assert api.post("/api/commands/launch-rocket/", {}, format="json").status_code == 404


def test_get_on_a_command_endpoint_is_405(api):
    response = api.get("/api/commands/place-order/")
    assert response.status_code == 405 and response.json()["detail"]

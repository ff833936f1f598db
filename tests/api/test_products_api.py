"""Products over HTTP: `add-product`, `restock-product`, and `GET /api/products/` with stock figures."""

import pytest
from rest_framework.test import APIClient

from eventstore.models import Event
from tests.api.helpers import command, place_order, project, register_customer, stock

pytestmark = [pytest.mark.django_db, pytest.mark.integration]


def test_add_product_answers_with_what_happened(api):
    response = command(api, "add-product", sku="PEN", name="A pen", price="1.50")

    assert response.status_code == 200
    assert response.json() == {
        "aggregate_id": "product:PEN",
        "version": 1,
        "position": Event.objects.get().position,
        "events": ["ProductAdded"],
    }
    assert Event.objects.get().data == {"sku": "PEN", "name": "A pen", "price": "1.50"}


def test_restock_adds_units_on_hand(api):
    stock(api, "PEN", 10)
    response = command(api, "restock-product", sku="PEN", quantity=5)
    assert response.status_code == 200 and response.json()["events"] == ["ProductRestocked"]
    project()
    body = api.get("/api/products/PEN/").json()
    assert (body["on_hand"], body["reserved"], body["available"]) == (15, 0, 15)


def test_the_product_view_follows_reservations_and_shipments(api):
    stock(api, "PEN", 10, price="1.50")
    order = place_order(api, register_customer(api), [{"sku": "PEN", "quantity": 4, "unit_price": "1.50"}])
    project()  # the saga reserves 4 and confirms

    body = api.get("/api/products/PEN/").json()
    assert body == {
        "sku": "PEN",
        "name": "The pen",
        "price": "1.50",
        "on_hand": 10,
        "reserved": 4,
        "available": 6,
        "discontinued": False,
        "written_off": 0,
        "updated_at": body["updated_at"],
        "version": 3,
    }
    assert api.get(f"/api/orders/{order}/").json()["status"] == "confirmed"

    assert command(api, "ship-order", order_id=order).status_code == 200
    project()
    body = api.get("/api/products/PEN/").json()
    assert (body["on_hand"], body["reserved"], body["available"]) == (6, 0, 6)


def test_an_order_of_a_product_with_no_stock_is_cancelled_out_of_stock_on_the_order_view(api):
    order = place_order(api, register_customer(api), [{"sku": "NOPE", "quantity": 1, "unit_price": "1.00"}])
    project()
    body = api.get(f"/api/orders/{order}/").json()
    assert (body["status"], body["cancel_reason"]) == ("cancelled", "out of stock")
    assert api.get(f"/api/customers/{body['customer_id']}/").json()["total_spent"] == "0.00"


def test_409_adding_a_sku_twice(api):
    stock(api, "PEN", 1)
    response = command(api, "add-product", sku="PEN", name="Another pen", price="2.00")
    assert response.status_code == 409 and "already exists" in response.json()["detail"]
    assert Event.objects.count() == 2


def test_404_restocking_an_unknown_sku(api):
    response = command(api, "restock-product", sku="NOPE", quantity=1)
    assert response.status_code == 404 and response.json()["detail"]
    assert Event.objects.count() == 0


def test_409_restocking_at_a_stale_expected_version(api):
    stock(api, "PEN", 1)
    response = command(api, "restock-product", sku="PEN", quantity=1, expected_version=1)
    assert response.status_code == 409 and response.json()["current_version"] == 2


@pytest.mark.parametrize(
    ("name", "body", "field"),
    [
        ("add-product", {"sku": "", "name": "A pen", "price": "1.50"}, "sku"),
        ("add-product", {"sku": "P" * 65, "name": "A pen", "price": "1.50"}, "sku"),
        ("add-product", {"sku": "PEN", "name": "A pen", "price": "-1"}, "price"),
        ("add-product", {"sku": "PEN", "name": "A pen", "price": "1.505"}, "price"),
        ("add-product", {"sku": "PEN", "name": "A pen", "price": "1.50", "stock": 3}, "stock"),
        ("add-product", {"sku": "PEN", "price": "1.50"}, "name"),
        ("restock-product", {"sku": "PEN", "quantity": 0}, "quantity"),
        ("restock-product", {"sku": "PEN", "quantity": "5"}, "quantity"),
        ("restock-product", {"sku": "PEN", "quantity": 1_000_001}, "quantity"),
    ],
)
def test_400_for_bad_input_names_the_field_and_writes_nothing(api, name, body, field):
    response = command(api, name, **body)
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"] and response.json()["detail"]
    assert Event.objects.count() == 0


@pytest.fixture
def catalogue(api):
    stock(api, "PEN", 10, price="1.50")
    stock(api, "DESK", 1, price="250.00")
    assert command(api, "add-product", sku="LAMP", name="The lamp", price="19.99").status_code == 200  # none in stock
    project()


def test_products_filter_and_order(api, catalogue):
    by_available = [p["sku"] for p in api.get("/api/products/?ordering=-available").json()["results"]]
    assert by_available == ["PEN", "DESK", "LAMP"]
    in_stock = [p["sku"] for p in api.get("/api/products/?available_min=1&ordering=price").json()["results"]]
    assert in_stock == ["PEN", "DESK"]
    assert [p["sku"] for p in api.get("/api/products/?name=LAMP").json()["results"]] == ["LAMP"]
    page = api.get("/api/products/?limit=2").json()
    assert (page["count"], len(page["results"])) == (3, 2)


def test_products_bad_queries_and_unknown_skus(api, catalogue):
    assert api.get("/api/products/?available_min=lots").status_code == 400
    missing = api.get("/api/products/NOPE/")
    assert missing.status_code == 404 and missing.json()["detail"]
    assert APIClient().get("/api/products/").status_code == 401
    assert api.post("/api/products/", {}, format="json").status_code == 405


def test_products_read_your_writes(api, settings):
    settings.READ_YOUR_WRITES_TIMEOUT_SECONDS = 0.1
    position = command(api, "add-product", sku="PEN", name="A pen", price="1.50").json()["position"]
    behind = api.get(f"/api/products/PEN/?min_position={position}")
    assert behind.status_code == 503 and "product_stock" in behind.json()["detail"]
    project()
    read = api.get(f"/api/products/PEN/?min_position={position}")
    assert read.status_code == 200 and int(read["X-Projection-Position"]) >= position


@pytest.mark.parametrize("sku", ["a/b", "../..", "..", ".hidden", "tab\there", "new\nline", "spa ce", "é"])
def test_a_sku_that_a_url_cannot_reach_as_it_is_is_refused(api, sku):
    # Found: a sku with "/" (or "../..") was accepted, then unreachable at /api/products/<sku>/
    # and /api/streams/product:<sku>/.
    for endpoint, body in [
        ("add-product", {"sku": sku, "name": "Pen", "price": "1.50"}),
        ("restock-product", {"sku": sku, "quantity": 1}),
        (
            "place-order",
            {"customer_id": register_customer(api), "items": [{"sku": sku, "quantity": 1, "unit_price": "1"}]},
        ),
    ]:
        response = command(api, endpoint, **body)
        assert response.status_code == 400, (endpoint, response.json())
        assert "sku" in response.json()["detail"] and "letters" in response.json()["detail"]
    assert not Event.objects.exclude(event_type="CustomerRegistered").exists()


def test_every_sku_the_rule_allows_is_reachable_by_its_url(api):
    sku = "Ab-9_x.1"
    stock(api, sku, 3)
    project()
    assert api.get(f"/api/products/{sku}/").json()["available"] == 3
    assert api.get(f"/api/streams/product:{sku}/").status_code == 200


def test_the_schema_states_the_sku_rule(api):
    schema = api.get("/api/schema/?format=json").json()["components"]["schemas"]
    for component in ("AddProductRequest", "RestockProductRequest", "OrderLineRequest", "AddItemRequest"):
        assert schema[component]["properties"]["sku"]["pattern"] == "^[A-Za-z0-9][A-Za-z0-9._-]*$", component

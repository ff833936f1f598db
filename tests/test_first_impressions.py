"""What a newcomer sees first: names, grammar, links, the schema's examples, correlation ids."""

import re

import pytest
from rest_framework.test import APIClient

from tests.api.helpers import command, new_id, project, register_customer

pytestmark = pytest.mark.django_db


def schema_of(api) -> dict:
    response = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def money_properties(schema: dict):
    for name, component in schema["components"]["schemas"].items():
        for field, prop in component.get("properties", {}).items():
            if prop.get("format") == "decimal" and "pattern" in prop and name.endswith("Request"):
                yield name, field, prop


def test_the_admin_says_order_summaries_and_view_site_opens_the_api_docs(staff_client):
    index = staff_client.get("/admin/").content.decode()
    assert "Order summaries" in index and "summarys" not in index
    assert 'href="/api/docs/"' in index  # "View site": there is no page at /


def test_a_409_for_an_order_that_exists_says_an_order(api):
    customer = register_customer(api)
    order = new_id()
    assert command(api, "place-order", order_id=order, customer_id=customer, items=[]).status_code == 200
    again = command(api, "place-order", order_id=order, customer_id=customer, items=[])
    assert again.status_code == 409
    assert again.json()["detail"].startswith("An order with id")


def test_the_api_title_names_products(api):
    assert "products" in schema_of(api)["info"]["title"].lower()


def test_every_money_example_is_accepted_and_the_pattern_is_what_the_server_takes(api):
    found = list(money_properties(schema_of(api)))
    assert {(name, field) for name, field, _ in found} >= {("AddProductRequest", "price")}
    for _name, _field, prop in found:
        assert re.fullmatch(prop["pattern"].strip("^$"), prop["example"]), prop
    example = next(prop for name, _, prop in found if name == "AddProductRequest")
    added = command(api, "add-product", sku="PEN", name="Pen", price=example["example"])
    assert added.status_code == 200, added.json()
    pattern = example["pattern"]
    for refused in ["-", "", "-1", "1.", ".5", "1e2", " 1.50", "1.505", "1000000.01"]:
        assert re.fullmatch(pattern.strip("^$"), refused) is None, refused
        answer = command(api, "add-product", sku=f"S{abs(hash(refused))}", name="X", price=refused)
        assert answer.status_code == 400, (refused, answer.json())
    for accepted in ["0", "0.5", "12.50", "999999.99", "1000000", "1000000.00"]:
        assert re.fullmatch(pattern.strip("^$"), accepted), accepted
        answer = command(api, "add-product", sku=f"A{abs(hash(accepted))}", name="X", price=accepted)
        assert answer.status_code == 200, (accepted, answer.json())


def test_every_answer_carries_a_correlation_id_reads_and_errors_included(api, client):
    mine = api.get("/api/orders/", HTTP_X_CORRELATION_ID="my-trace-1")
    assert mine.status_code == 200 and mine["X-Correlation-ID"] == "my-trace-1"
    made_up = api.get("/api/products/", HTTP_X_CORRELATION_ID="x" * 101)
    assert re.fullmatch(r"[0-9a-f-]{36}", made_up["X-Correlation-ID"])
    assert client.get("/api/orders/")["X-Correlation-ID"]  # a 401
    assert api.get("/api/orders/not-an-order/")["X-Correlation-ID"]  # a 404
    assert client.get("/healthz")["X-Correlation-ID"]


def test_a_command_stamps_the_same_correlation_id_it_answers_with(api):
    response = api.post(
        "/api/commands/register-customer/",
        {"name": "Ada", "email": "ada@example.com"},
        format="json",
        HTTP_X_CORRELATION_ID="walk-1",
    )
    assert response["X-Correlation-ID"] == "walk-1"
    events = api.get("/api/events/?correlation_id=walk-1").json()["results"]
    assert [e["event_type"] for e in events] == ["CustomerRegistered"]


@pytest.mark.parametrize("value", ["yes", "1", "TRUE", "truee"])
def test_settled_is_true_or_false_and_anything_else_a_400(api, value):
    response = api.get(f"/api/orders/?settled={value}")
    assert response.status_code == 400, response.json()
    assert "settled" in str(response.json())


@pytest.mark.parametrize("value", ["", "false"])
def test_settled_empty_or_false_waits_for_nothing(api, value):
    assert api.get(f"/api/orders/?settled={value}").status_code == 200


@pytest.mark.integration
def test_settled_answers_once_the_saga_has_confirmed_the_order(api, settings):
    settings.READ_YOUR_WRITES_TIMEOUT_SECONDS = 0.2
    customer = register_customer(api)
    stocked = command(api, "add-product", sku="PEN", name="Pen", price="1.50")
    assert stocked.status_code == 200
    assert command(api, "restock-product", sku="PEN", quantity=5).status_code == 200
    order = new_id()
    placed = command(
        api,
        "place-order",
        order_id=order,
        customer_id=customer,
        items=[{"sku": "PEN", "quantity": 1, "unit_price": "1.50"}],
    )
    position = placed.json()["position"]
    # Nothing has run: the saga has not acted, so a settled read cannot answer yet.
    assert api.get(f"/api/orders/{order}/?min_position={position}&settled=true").status_code == 503
    project()
    settled = api.get(f"/api/orders/{order}/?min_position={position}&settled=true")
    assert settled.status_code == 200 and settled.json()["status"] == "confirmed"


def test_a_repeated_ordering_is_a_400_not_its_last_value(api):
    response = api.get("/api/orders/?ordering=-total&ordering=placed_at")
    assert response.status_code == 400
    assert "commas" in str(response.json())
    assert api.get("/api/orders/?ordering=-total,placed_at").status_code == 200


def test_the_token_endpoint_takes_json_only_and_declares_no_security(api, user):
    schema = schema_of(api)
    operation = schema["paths"]["/api/auth/token/"]["post"]
    assert list(operation["requestBody"]["content"]) == ["application/json"]
    assert operation.get("security", schema.get("security")) in (None, [], [{}])  # none, not token/cookie
    user.set_password("pw-for-the-token")
    user.save()
    form = APIClient().post("/api/auth/token/", {"username": user.username, "password": "pw-for-the-token"})
    assert form.status_code == 415
    body = {"username": user.username, "password": "pw-for-the-token"}
    assert APIClient().post("/api/auth/token/", body, format="json").status_code == 200


def test_fields_always_present_in_answers_are_required_in_the_schema(api):
    components = schema_of(api)["components"]["schemas"]
    for name, field in [("ProductStock", "on_hand"), ("OrderSummary", "total"), ("CustomerView", "order_count")]:
        assert field in components[name]["required"], (name, field)


def example_of(schema: dict, prop: dict):
    """The value Swagger UI's "Try it out" fills in: the example, else what it makes from the type."""
    if "$ref" in prop:
        prop = schema["components"]["schemas"][prop["$ref"].rsplit("/", 1)[1]]
    if "allOf" in prop:
        return example_of(schema, prop["allOf"][0])
    if "example" in prop:
        return prop["example"]
    if "enum" in prop:
        return prop["enum"][0]
    kind = prop.get("type")
    if kind == "object" or "properties" in prop:
        return {name: example_of(schema, sub) for name, sub in prop.get("properties", {}).items()}
    if kind == "array":
        return [example_of(schema, prop["items"])]
    if kind == "integer":
        return prop.get("minimum", 0)
    if kind == "boolean":
        return True
    by_format = {"uuid": "3fa85f64-5717-4562-b3fc-2c963f66afa6", "email": "user@example.com"}
    return by_format.get(prop.get("format", ""), "string")


def test_every_command_example_swagger_would_send_is_a_valid_request(api):
    schema = schema_of(api)
    answered = {}
    for path, operations in schema["paths"].items():
        if not path.startswith("/api/commands/"):
            continue
        body_schema = operations["post"]["requestBody"]["content"]["application/json"]["schema"]
        body = example_of(schema, body_schema)
        response = api.post(path, body, format="json")
        answered[path] = response.status_code
        assert response.status_code != 400, (path, body, response.json())
        assert response.status_code < 500, (path, response.status_code)
    assert answered["/api/commands/register-customer/"] == 200
    assert answered["/api/commands/add-product/"] == 200

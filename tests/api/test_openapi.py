"""The OpenAPI schema and the docs page: valid, complete for commands and queries, no CDN."""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient

from commands_app.api.serializers import COMMAND_SERIALIZERS

pytestmark = pytest.mark.django_db

COMMAND_ERROR_STATUSES = {"400", "401", "403", "404", "409", "415", "422", "429", "500"}


@pytest.fixture
def schema(api) -> dict:
    response = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def resolve(schema: dict, ref: dict) -> dict:
    name = ref["$ref"].rsplit("/", 1)[-1]
    return schema["components"]["schemas"][name]


def test_the_schema_passes_drf_spectacular_validation_without_warnings():
    # The management command validates against the OpenAPI 3 JSON schema and exits non-zero
    # on any generator warning (an endpoint it could not understand).
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=StringIO())


def test_the_schema_and_docs_need_a_login():
    anonymous = APIClient()
    assert anonymous.get("/api/schema/").status_code == 401
    docs = anonymous.get("/api/docs/")
    assert docs.status_code == 302
    assert docs["Location"].startswith("/api/auth/login/?next=/api/docs/")
    assert anonymous.get(docs["Location"]).status_code == 200  # DRF's login page, open to any user


@pytest.mark.parametrize("query", ["", "?format=json", "?format=yaml"])
def test_the_schemas_401_is_json(query):
    # Found: the anonymous 401 of /api/schema/ was YAML (`detail: Authentication …`).
    response = APIClient().get(f"/api/schema/{query}")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert "credentials" in response.json()["detail"]


@pytest.mark.parametrize("serializer", COMMAND_SERIALIZERS, ids=lambda s: s.command_class.command_type())
def test_every_command_documents_its_fields_result_and_errors(schema, serializer):
    name = serializer.command_class.command_type()
    operation = schema["paths"][f"/api/commands/{name}/"]["post"]

    assert operation["operationId"] == name.replace("-", "_")
    assert operation["tags"] == ["commands"]
    assert set(operation["requestBody"]["content"]) == {"application/json"}  # JSON only, or 415
    body = resolve(schema, operation["requestBody"]["content"]["application/json"]["schema"])
    assert set(body["properties"]) == set(serializer().fields)
    required = {field_name for field_name, field in serializer().fields.items() if field.required}
    assert set(body.get("required", [])) == required

    responses = operation["responses"]
    success = resolve(schema, responses["200"]["content"]["application/json"]["schema"])
    assert set(success["properties"]) >= {"aggregate_id", "version", "position", "events"}
    assert set(responses) >= COMMAND_ERROR_STATUSES
    for code in COMMAND_ERROR_STATUSES:
        error_body = resolve(schema, responses[code]["content"]["application/json"]["schema"])
        assert "detail" in error_body["required"], code
        assert responses[code]["description"], code


def test_error_bodies_carry_their_extra_fields(schema):
    operation = schema["paths"]["/api/commands/ship-order/"]["post"]["responses"]
    body = {code: resolve(schema, operation[code]["content"]["application/json"]["schema"]) for code in operation}
    assert "errors" in body["400"]["properties"]
    assert "current_version" in body["409"]["properties"]
    assert "error_id" in body["500"]["required"]


def test_operation_ids_are_unique_and_every_operation_is_tagged(schema):
    operations = [op for item in schema["paths"].values() for op in item.values()]
    ids = [op["operationId"] for op in operations]
    assert len(ids) == len(set(ids))
    assert all(op.get("tags") for op in operations)


def query_parameters(schema: dict, path: str) -> dict[str, dict]:
    return {p["name"]: p for p in schema["paths"][path]["get"]["parameters"] if p["in"] == "query"}


def test_query_endpoints_document_their_filters_ordering_and_errors(schema):
    orders = query_parameters(schema, "/api/orders/")
    assert {"status", "customer_id", "placed_after", "placed_before", "limit", "offset"} <= set(orders)
    assert set(orders["ordering"]["schema"]["items"]["enum"]) == {
        "placed_at", "-placed_at", "total", "-total", "updated_at", "-updated_at"
    }  # fmt: skip
    assert orders["ordering"]["explode"] is False

    customers = query_parameters(schema, "/api/customers/")
    assert "email" in customers
    assert set(customers["ordering"]["schema"]["items"]["enum"]) >= {"name", "-total_spent"}

    products = query_parameters(schema, "/api/products/")
    assert {"name", "available_min", "min_position", "limit", "offset"} <= set(products)
    assert set(products["ordering"]["schema"]["items"]["enum"]) >= {"sku", "-available", "price"}
    assert "404" in schema["paths"]["/api/products/{sku}/"]["get"]["responses"]

    events = query_parameters(schema, "/api/events/")
    assert {"stream_id", "stream_type", "event_type", "correlation_id", "after", "cursor"} <= set(events)

    for path in ("/api/orders/", "/api/customers/", "/api/products/", "/api/events/"):
        assert {"200", "400", "401"} <= set(schema["paths"][path]["get"]["responses"]), path
    assert "404" in schema["paths"]["/api/orders/{id}/"]["get"]["responses"]
    assert schema["paths"]["/api/projections/"]["get"]["operationId"] == "projections_list"


def test_the_docs_render_and_load_only_local_assets(user):
    browser = Client()
    browser.force_login(user)
    response = browser.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<script>" not in html  # no inline script: the CSP allows script files from this origin only
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets, html
    startup = "/api/docs/?script="
    for asset in assets:
        assert asset.startswith("/static/drf_spectacular_sidecar/") or asset == startup, asset
        assert browser.get(asset).status_code == 200, asset  # WhiteNoise serves it from the sidecar app
    assert "cdn" not in html.lower() and "https://" not in html
    script = browser.get(startup).content.decode()
    assert "SwaggerUIBundle" in script and '"/api/schema/"' in script
    assert browser.get("/api/schema/").status_code == 200  # what the page loads, with the same session

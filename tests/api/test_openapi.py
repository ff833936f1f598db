"""The OpenAPI schema and the docs page: valid, complete for commands and queries, no CDN."""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient

from commands_app.api.serializers import COMMAND_SERIALIZERS, CommandSerializer

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


def test_every_answer_declares_its_correlation_id_and_every_429_and_503_retry_after(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            for code, response in operation["responses"].items():
                headers = response.get("headers", {})
                assert headers["X-Correlation-ID"]["required"] is True, (path, method, code)
                if code in {"429", "503"}:
                    assert headers["Retry-After"]["schema"]["type"] == "integer", (path, method, code)
                else:
                    assert "Retry-After" not in headers, (path, method, code)


def test_read_model_answers_declare_their_projection_position_and_commands_the_replay_mark(schema):
    for path in ("/api/orders/", "/api/orders/{id}/", "/api/customers/", "/api/products/", "/api/products/{sku}/"):
        ok = schema["paths"][path]["get"]["responses"]["200"]["headers"]
        assert ok["X-Projection-Position"]["schema"]["type"] == "integer", path
        assert ok["X-Projection-Position"]["required"] is True, path
        assert "X-Read-Database" in ok, path
        assert "X-Projection-Position" not in schema["paths"][path]["get"]["responses"]["400"]["headers"], path
    for serializer in COMMAND_SERIALIZERS:
        name = serializer.command_class.command_type()
        responses = schema["paths"][f"/api/commands/{name}/"]["post"]["responses"]
        assert responses["200"]["headers"]["Idempotent-Replayed"]["schema"]["enum"] == ["true"], name
        assert "Idempotent-Replayed" not in responses["409"]["headers"], name
    events = schema["paths"]["/api/events/"]["get"]["responses"]["200"]["headers"]
    assert set(events) == {"X-Correlation-ID"}  # the log itself, not a projection: no position header


def test_the_required_headers_the_schema_declares_are_sent(schema, api):
    # What a generated client may rely on: each header declared required is in the answer.
    def required(path: str, method: str, code: str) -> set[str]:
        headers = schema["paths"][path][method]["responses"][code]["headers"]
        return {name for name, header in headers.items() if header.get("required")}

    listing = api.get("/api/products/")
    assert listing.status_code == 200
    assert required("/api/products/", "get", "200") <= set(listing.headers)
    bad = api.get("/api/products/", {"limit": "x"})
    assert bad.status_code == 400
    assert required("/api/products/", "get", "400") <= set(bad.headers)
    body = {"sku": "HDR-1", "name": "Header test", "price": "1.50"}
    first = api.post("/api/commands/add-product/", body, format="json", HTTP_IDEMPOTENCY_KEY="hdr-1")
    assert first.status_code == 200, first.json()
    assert required("/api/commands/add-product/", "post", "200") <= set(first.headers)
    assert "Idempotent-Replayed" not in first.headers
    again = api.post("/api/commands/add-product/", body, format="json", HTTP_IDEMPOTENCY_KEY="hdr-1")
    assert again.headers["Idempotent-Replayed"] == "true"


def test_each_command_body_has_its_own_description(schema):
    base = CommandSerializer.__doc__.split(":")[0]
    descriptions = {}
    for serializer in COMMAND_SERIALIZERS:
        name = serializer.command_class.command_type()
        body = schema["paths"][f"/api/commands/{name}/"]["post"]["requestBody"]["content"]["application/json"]
        description = resolve(schema, body["schema"]).get("description", "")
        assert description, name
        assert base not in description, name  # not the base class's "Base for command input: …"
        descriptions[name] = description
    assert len(set(descriptions.values())) == len(descriptions), descriptions

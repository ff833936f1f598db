"""Inputs schemathesis found that broke something, one test each, with the input as found.

`test_fuzz.py` fuzzes every operation; when it finds a failure, the input goes here, so the
fix stays tested however the fuzzer's choices change. Each test says what went wrong.
"""

import pytest
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from commands_app.models import IdempotencyRecord
from eventstore.models import Event
from tests.api.helpers import command, in_catalogue, place_order, project, register_customer

pytestmark = pytest.mark.django_db


def query_parameters(path: str) -> dict[str, dict]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {p["name"]: p for p in schema["paths"][path]["get"]["parameters"] if p["in"] == "query"}


def assert_400_naming(response, parameter: str) -> None:
    assert response.status_code == 400, response.content
    assert parameter in response.json()["detail"]


def test_offset_null_was_read_as_offset_0(api):
    # Found: GET /api/customers/?offset=null&offset=null answered page 1 (DRF falls back to 0).
    assert_400_naming(api.get("/api/customers/?offset=null&offset=null"), "offset")


def test_page_size_null_was_read_as_the_default(api):
    # Found: GET /api/events/?page_size=null&page_size=null answered a default-sized page.
    assert_400_naming(api.get("/api/events/?page_size=null&page_size=null"), "page_size")


@pytest.mark.parametrize("query", ["limit=0", "limit=-3", "limit=1e3", "offset=-1", f"offset={2**63}"])
def test_other_malformed_pagination_values_are_400_too(api, query):
    # Beside the finding: the same rule for every pagination parameter (each of these
    # answered 200 with the default page before).
    assert api.get(f"/api/orders/?{query}").status_code == 400


def test_an_empty_filter_value_is_documented_as_allowed(api):
    # Found: GET /api/orders/?placed_before= (empty) answered 200, but the schema said only a
    # date-time is valid. django-filter reads an empty value as "no filter", as HTML forms send it;
    # the schema now says so (allowEmptyValue) instead of the API refusing forms.
    place_order(api, register_customer(api))
    project()
    assert api.get("/api/orders/?placed_before=").json()["count"] == 1
    assert query_parameters("/api/orders/")["placed_before"]["allowEmptyValue"] is True
    assert api.get("/api/orders/?placed_before=yesterday").status_code == 400


def test_an_empty_ordering_was_accepted_against_the_schema(api):
    # Found (randomized run): GET /api/customers/?ordering= and
    # /api/events/?ordering=&event_type=&page_size=1&stream_id=&stream_type= answered 200 though
    # `ordering` listed only field names. Every optional query parameter now reads an empty value
    # as not given, and the schema says so for each of them.
    assert api.get("/api/customers/?ordering=").status_code == 200
    assert api.get("/api/events/?ordering=&event_type=&page_size=1&stream_id=&stream_type=").status_code == 200
    assert api.get("/api/events/?cursor=&page_size=").status_code == 200
    for path in ["/api/customers/", "/api/events/", "/api/orders/"]:
        assert all(p["allowEmptyValue"] for p in query_parameters(path).values()), path


def test_an_empty_min_position_was_accepted_against_the_schema(api):
    # Found (randomized run): GET /api/orders/<id>/?min_position= answered 200; `min_position`
    # was documented as an integer only. It means "no wait", as documented now.
    order = place_order(api, register_customer(api))
    project()
    assert api.get(f"/api/orders/{order}/?min_position=").status_code == 200
    assert query_parameters("/api/orders/{id}/")["min_position"]["allowEmptyValue"] is True


@pytest.mark.parametrize("offset", ["%2B16:57", "-15:59"])
def test_a_utc_offset_postgresql_refuses_was_a_500(api, offset):
    # Found (randomized run): GET /api/orders/?placed_after=&placed_before=0594-06-18T01:18:16.404+16:57
    # was a 500: Python accepts offsets up to ±23:59, PostgreSQL only to ±15:59. Values are
    # compared in UTC now; the time-travel `at` had the same flaw.
    place_order(api, register_customer(api))
    project()
    response = api.get(f"/api/orders/?placed_after=&placed_before=0594-06-18T01:18:16.404{offset}")
    assert response.status_code == 200 and response.json()["count"] == 0
    assert api.get(f"/api/orders/?placed_after=2000-01-01T00:00:00{offset}").json()["count"] == 1
    written = command(api, "register-customer", name="Ada", email="ada@example.com").json()
    at = api.get(f"/api/streams/{written['aggregate_id']}/?at=2999-01-01T00:00:00{offset}")
    assert at.status_code == 200 and at.json()["version"] == 1


def test_a_time_at_the_calendars_edge_still_works_unless_postgresql_cannot_read_it(api):
    # Beside the finding: converting to UTC can leave the calendar (year 0 or 10000). With an
    # offset PostgreSQL reads, the time is sent as given (as before); with one it cannot, 400.
    customer = register_customer(api)
    for value in ["0001-01-01T00:00:00%2B05:00", "9999-12-31T23:59:59-05:00"]:
        assert api.get(f"/api/orders/?placed_before={value}").status_code == 200, value
        assert api.get(f"/api/streams/{customer}/?at={value}").status_code in (200, 404), value
    assert_400_naming(api.get("/api/orders/?placed_before=0001-01-01T00:00:00%2B16:30"), "placed_before")
    assert_400_naming(api.get(f"/api/streams/{customer}/?at=0001-01-01T00:00:00%2B16:30"), "at")


@pytest.mark.parametrize("path", ["/api/orders/{id}/", "/api/customers/{id}/", "/api/orders/"])
def test_a_min_position_past_the_log_was_an_undocumented_503_after_a_2s_wait(api, path):
    # Found: GET /api/orders/<id>/?min_position=9223372036854775806 waited the whole timeout,
    # then answered 503, undocumented. No command returned that position: it is a 400 at once.
    written = command(api, "register-customer", name="Ada", email="ada@example.com").json()
    project()
    response = api.get(path.format(id=written["aggregate_id"]) + "?min_position=9223372036854775806")
    assert_400_naming(response, "min_position")
    assert f"past the end of the log (last position {written['position']})" in response.json()["detail"]
    # A reachable position still answers, and a lagging projection is still the documented 503.
    assert api.get(f"/api/customers/?min_position={written['position']}").status_code == 200
    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert "503" in schema["paths"][path]["get"]["responses"]


def test_an_unknown_ordering_was_silently_ignored(api):
    # Found: GET /api/events/?ordering=<garbage>,DESCRIPTION,X answered in the default order.
    response = api.get("/api/events/?ordering=%C3%B2%C3%82,DESCRIPTION,,X")
    assert_400_naming(response, "ordering")
    assert_400_naming(api.get("/api/orders/?ordering=-name"), "ordering")
    assert api.get("/api/events/?ordering=-position").status_code == 200
    assert api.get("/api/orders/?ordering=-total,placed_at").status_code == 200


def test_a_form_encoded_place_order_placed_an_order_without_its_items(api):
    # Found: POST /api/commands/place-order/ as application/x-www-form-urlencoded with
    # `items=sku&items=quantity…` was read as `items: []` and placed an empty order (200).
    customer = register_customer(api)
    events_before = Event.objects.count()
    response = api.post(
        "/api/commands/place-order/",
        f"customer_id={customer}&items=sku&items=quantity&items=unit_price",
        content_type="application/x-www-form-urlencoded",
        HTTP_IDEMPOTENCY_KEY="form-1",
    )
    assert response.status_code == 415, response.content
    assert response.json()["detail"]
    assert Event.objects.count() == events_before
    assert not IdempotencyRecord.objects.exists()
    # JSON, as documented, still works.
    items = [{"sku": "PEN", "quantity": 1, "unit_price": "1.00"}]
    in_catalogue(api, items)
    assert command(api, "place-order", customer_id=customer, items=items).status_code == 200


@pytest.mark.parametrize(
    "path", ["/api/orders/%F1%9F%8A%B6S%C3%9C%C2%93%5C%F2%A0%83%8BS%17.%C2%92%C3%B5%C3%ABG/", "/api/nothing/"]
)
def test_an_id_no_route_matches_got_an_html_404(api, path):
    # Found: GET /api/orders/<an id with a ".">/?min_position= answered Django's HTML 404 page
    # (DRF's routes exclude "." from ids), undocumented for an API that speaks JSON.
    response = api.get(path + "?min_position=")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json" and response.json()["detail"]
    assert "text/html" in Client().get("/no-such-page/")["Content-Type"]  # outside the API, as before


@pytest.mark.parametrize("path", ["/api/events/?after=0.0", "/api/orders/?min_position=.%5D9&min_position=0.0"])
def test_a_position_written_as_a_decimal_was_read_as_a_whole_number(api, path):
    # Found (randomized run): GET /api/events/?after=0.0 and /api/orders/?min_position=…&min_position=0.0
    # answered 200: Django's and DRF's integer fields read "0.0" as 0, though a position is a whole number.
    assert_400_naming(api.get(path), path.split("?")[1].split("=")[0])
    assert api.get(path.replace("0.0", "0")).status_code == 200


def test_the_schema_states_what_the_server_refuses(api):
    # Found by reading the fuzzer's schema-valid inputs that got a 400 (the schema was looser
    # than the server): an Idempotency-Key of spaces or 256 characters, an unknown body field,
    # a negative min_position, version=0 or empty. The schema now says each of these.
    schema = SchemaGenerator().get_schema(request=None, public=True)
    place_order = schema["paths"]["/api/commands/place-order/"]["post"]
    key = next(p for p in place_order["parameters"] if p["name"] == "Idempotency-Key")["schema"]
    assert key["maxLength"] == 255 and key["pattern"]
    request_body = place_order["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert schema["components"]["schemas"][request_body]["additionalProperties"] is False
    assert query_parameters("/api/orders/")["min_position"]["schema"]["minimum"] == 0
    assert query_parameters("/api/streams/{stream_id}/")["version"]["schema"]["minimum"] == 1
    # And the server does as the schema says.
    customer = command(api, "register-customer", name="Ada", email="ada@example.com").json()["aggregate_id"]
    assert api.get(f"/api/streams/{customer}/?version=").status_code == 200  # empty: not given
    assert api.get(f"/api/streams/{customer}/?version=0").status_code == 400
    assert api.get("/api/orders/?min_position=-1").status_code == 400
    refused = api.post(
        "/api/commands/register-customer/", {"name": "A", "email": "a@b.co"}, format="json", HTTP_IDEMPOTENCY_KEY="   "
    )
    assert refused.status_code == 400 and "Idempotency-Key" in refused.json()["detail"]


def test_a_token_request_without_a_media_type_got_an_undocumented_415(api):
    # Found (randomized run): POST /api/auth/token/ with a malformed multipart body reached the
    # view without a usable Content-Type and answered 415 ('Unsupported media type "" in
    # request'), which the schema did not list. Every operation with a body now documents 415.
    response = APIClient().generic("POST", "/api/auth/token/", b"0\xf1\x83\xa3\x9f", content_type="")
    assert response.status_code == 415 and response.json()["detail"]
    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if "requestBody" in operation:
                assert "415" in operation["responses"], (method, path)


def test_a_price_sent_as_a_json_number_was_accepted(api):
    # Found (after the saga's add-product joined the schema): {"name": "0", "price": 0, "sku": "0"}
    # answered 200, though the schema types money as a string. A JSON number may already be
    # inexact (0.1 + 0.2), so money is refused unless it comes as a string; nothing is written.
    before = Event.objects.count()
    response = command(api, "add-product", name="0", price=0, sku="0")
    assert response.status_code == 400, response.content
    assert "string" in str(response.json()["errors"]["price"])
    customer = register_customer(api)
    items = [{"sku": "PEN", "quantity": 1, "unit_price": 1.5}]
    assert command(api, "place-order", customer_id=customer, items=items).status_code == 400
    assert Event.objects.count() == before + 1  # only the customer


def test_available_min_took_a_fraction(api):
    # Found: GET /api/products/?available_min=0.5 answered 200; the schema says integer.
    assert_400_naming(api.get("/api/products/?available_min=0.5"), "available_min")
    assert api.get("/api/products/?available_min=2").status_code == 200

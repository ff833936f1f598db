"""Inputs schemathesis found that broke something, one test each, with the input as found.

`test_fuzz.py` fuzzes every operation; when it finds a failure, the input goes here, so the
fix stays tested however the fuzzer's choices change. Each test says what went wrong.
"""

import pytest
from drf_spectacular.generators import SchemaGenerator

from commands_app.models import IdempotencyRecord
from eventstore.models import Event
from tests.api.helpers import command, place_order, project, register_customer

pytestmark = pytest.mark.django_db


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
    schema = SchemaGenerator().get_schema(request=None, public=True)
    parameters = {p["name"]: p for p in schema["paths"]["/api/orders/"]["get"]["parameters"]}
    assert parameters["placed_before"]["allowEmptyValue"] is True
    assert api.get("/api/orders/?placed_before=yesterday").status_code == 400


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
    assert command(api, "place-order", customer_id=customer, items=items).status_code == 200

"""Hostile input from one ordinary account: bounded work, a clear JSON 4xx, nothing written (issue 12).

Each input is the one that broke the service (a 500, a worker busy for seconds, a 25 MB
answer), kept as a regression. Real requests through the whole middleware stack.
"""

import json
import time

import pytest
from django.test import Client

from eventstore.models import Event
from tests.api.helpers import in_catalogue, register_customer

pytestmark = pytest.mark.django_db

PLACE_ORDER = "/api/commands/place-order/"
CUSTOMER = "6f1c1a52-0a38-4c1e-9b55-3b1d1b7f0c01"


def post_raw(api, path: str, body: bytes | str, **headers):
    return api.generic("POST", path, body, content_type="application/json", **headers)


def assert_json_error(response, status: int) -> dict:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["detail"]
    return body


def test_a_body_over_the_limit_is_413_before_it_is_read(api):
    # Found: 2.4 MB of `"items": [0, 0, …]` kept a worker busy until gunicorn killed it (30 s).
    body = json.dumps({"customer_id": CUSTOMER, "items": [0] * 1_200_000})
    started = time.perf_counter()
    response = post_raw(api, PLACE_ORDER, body)
    assert time.perf_counter() - started < 1
    assert "64 bytes" not in assert_json_error(response, 413)["detail"]
    assert "65,536 bytes" in response.json()["detail"]
    assert Event.objects.count() == 0


def test_the_body_limit_is_configurable(api, settings):
    settings.REQUEST_BODY_MAX_BYTES = 100
    assert_json_error(post_raw(api, "/api/commands/register-customer/", json.dumps({"name": "x" * 200})), 413)


def test_a_list_over_its_length_is_refused_before_any_element_is_validated(api, settings):
    # Found: 100,000 `{}` items took 8 s and answered with a 25.9 MB error body (DRF checks
    # `max_length` after validating every element). With the body limit raised so the list
    # reaches the serializer, the length alone refuses it.
    settings.REQUEST_BODY_MAX_BYTES = settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000_000
    started = time.perf_counter()
    response = post_raw(api, PLACE_ORDER, json.dumps({"customer_id": CUSTOMER, "items": [{}] * 100_000}))
    assert time.perf_counter() - started < 1
    body = assert_json_error(response, 400)
    assert body["errors"] == {"items": ["Ensure this field has no more than 200 elements."]}
    assert Event.objects.count() == 0


def test_an_error_body_names_the_first_errors_and_counts_the_rest(api):
    response = post_raw(api, "/api/commands/register-customer/", json.dumps({f"f{n}": 1 for n in range(5000)}))
    body = assert_json_error(response, 400)
    assert len(response.content) < 4000
    assert len(body["errors"]) == 20 and body["error_count"] == 5000
    assert "more not shown" in body["detail"]


@pytest.mark.parametrize("depth", [10_000, 33])
def test_json_nested_too_deep_is_400(api, depth):
    # Found: 10,000 levels raised RecursionError in DRF's parser, a 500.
    body = assert_json_error(post_raw(api, PLACE_ORDER, "[" * depth + "]" * depth), 400)
    assert "nested more than 32 levels" in body["detail"]


def test_an_order_is_nowhere_near_the_depth_limit(api):
    customer = register_customer(api)
    items = [{"sku": "PEN", "quantity": 1, "unit_price": "1.50"}]
    in_catalogue(api, items)
    assert post_raw(api, PLACE_ORDER, json.dumps({"customer_id": customer, "items": items})).status_code == 200


@pytest.mark.parametrize("url", ["/api/products/a%00b/", "/api/streams/product:a%00b/", "/api/products/?name=a%00b"])
def test_nul_in_the_url_is_400(api, url):
    # Found: NUL in a lookup reached PostgreSQL, which cannot hold it in text: DataError, a 500.
    assert "NUL" in assert_json_error(api.get(url), 400)["detail"]


def test_a_lone_surrogate_in_an_unknown_key_is_a_json_400(api):
    # Found: `{"\ud800": 1}` made the renderer fail on the echoed key: an HTML 500 without error_id.
    body = assert_json_error(post_raw(api, "/api/commands/register-customer/", b'{"\\ud800": 1}'), 400)
    assert body["errors"]["\ud800"] == ["Unknown field."]
    assert Event.objects.count() == 0


def test_a_command_without_its_trailing_slash_is_a_json_404_naming_the_right_path(api):
    # Found: a 301 HTML redirect, which clients follow as a GET without the body.
    response = post_raw(api, "/api/commands/register-customer", json.dumps({"name": "Ada", "email": "a@b.co"}))
    assert "/api/commands/register-customer/ ?" in assert_json_error(response, 404)["detail"]
    assert Event.objects.count() == 0


def test_authenticated_answers_may_not_be_kept_by_a_shared_cache(api):
    # Found: authenticated JSON had no Cache-Control, so a shared cache could serve it to another user.
    for response in (api.get("/api/customers/"), api.get("/api/products/NONE/"), post_raw(api, PLACE_ORDER, "{}")):
        assert {"private", "no-store"} <= {part.strip() for part in response["Cache-Control"].split(",")}
        assert "Authorization" in response["Vary"]
    assert "no-store" in Client().get("/api/orders/")["Cache-Control"]  # the anonymous 401 too

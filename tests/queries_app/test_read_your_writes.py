"""`?min_position=` on query endpoints: wait for the projections, or 503 naming the one behind."""

import pytest

from tests.api.helpers import command, in_catalogue, place_order, project, register_customer

pytestmark = [pytest.mark.django_db, pytest.mark.integration]


@pytest.fixture(autouse=True)
def short_timeout(settings):
    settings.READ_YOUR_WRITES_TIMEOUT_SECONDS = 0.1


def test_every_query_answer_says_how_far_its_projection_has_read(api):
    place_order(api, register_customer(api), items=[])  # empty: the saga leaves it alone
    assert api.get("/api/orders/")["X-Projection-Position"] == "0"
    project()
    position = command(api, "register-customer", name="Bob", email="bob@example.com").json()["position"]
    assert int(api.get("/api/customers/")["X-Projection-Position"]) == position - 1


def test_a_projection_behind_the_requested_position_answers_503_with_retry_after(api):
    customer = register_customer(api)
    response = command(api, "place-order", customer_id=customer, items=[])
    position = response.json()["position"]

    behind = api.get(f"/api/orders/{response.json()['aggregate_id']}/?min_position={position}")

    assert behind.status_code == 503
    assert behind["Retry-After"] == "1"
    assert f"order_summary is at position 0, {position} behind" in behind.json()["detail"]


def test_once_caught_up_the_same_read_answers_with_the_write_in_it(api):
    customer = register_customer(api)
    in_catalogue(api, [{"sku": "A", "unit_price": "3"}])
    response = command(api, "place-order", customer_id=customer, items=[{"sku": "A", "quantity": 2, "unit_price": "3"}])
    body = response.json()
    project()
    read = api.get(f"/api/orders/{body['aggregate_id']}/?min_position={body['position']}")
    assert read.status_code == 200 and read.json()["total"] == "6.00"
    assert int(read["X-Projection-Position"]) >= body["position"]
    listed = api.get(f"/api/customers/?min_position={body['position']}")
    assert listed.status_code == 200 and listed.json()["results"][0]["order_count"] == 1


@pytest.mark.parametrize("value", ["abc", "-1", "1.5", str(2**63)])
def test_a_bad_min_position_is_400(api, value):
    response = api.get(f"/api/orders/?min_position={value}")
    assert response.status_code == 400 and "min_position" in response.json()["detail"]

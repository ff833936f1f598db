"""The query endpoints: denormalized views, pagination, filters, ordering, errors."""

import pytest
from rest_framework.test import APIClient

from tests.api.helpers import command, fulfil, new_id, place_order, project, register_customer, stock

pytestmark = [pytest.mark.django_db, pytest.mark.integration]


@pytest.fixture
def shop(api):
    """Two customers, three orders in three states (confirmed, shipped, cancelled), projected."""
    for sku, units, price in (("PEN", 10, "1.50"), ("DESK", 1, "250.00"), ("LAMP", 2, "19.99"), ("INK", 5, "0.99")):
        stock(api, sku, units, price)
    ada = register_customer(api, "Ada", "ada@example.com")
    bob = register_customer(api, "Bob", "bob@example.com")
    cheap = place_order(api, ada, [{"sku": "PEN", "quantity": 3, "unit_price": "1.50"}])
    dear = place_order(api, ada, [{"sku": "DESK", "quantity": 1, "unit_price": "250.00"}])
    command(api, "add-item", order_id=dear, sku="LAMP", quantity=2, unit_price="19.99")
    fulfil()
    assert command(api, "ship-order", order_id=dear).status_code == 200
    gone = place_order(api, bob, [{"sku": "CHAIR", "quantity": 4, "unit_price": "80"}])
    command(api, "cancel-order", order_id=gone, reason="too slow")
    project()
    return {"ada": ada, "bob": bob, "cheap": cheap, "dear": dear, "gone": gone}


def test_order_detail_is_denormalized(api, shop):
    body = api.get(f"/api/orders/{shop['dear']}/").json()
    assert body["customer_id"] == shop["ada"]
    assert body["customer_name"] == "Ada"
    assert body["item_count"] == 3
    assert body["total"] == "289.98"
    assert body["status"] == "shipped"
    assert body["version"] == 4  # placed, item added, confirmed by the saga, shipped
    assert body["lines"] == [
        {"sku": "DESK", "quantity": 1, "unit_price": "250.00"},
        {"sku": "LAMP", "quantity": 2, "unit_price": "19.99"},
    ]
    assert body["placed_at"] <= body["updated_at"]


def test_customer_view_counts_all_orders_but_spends_only_uncancelled(api, shop):
    ada = api.get(f"/api/customers/{shop['ada']}/").json()
    bob = api.get(f"/api/customers/{shop['bob']}/").json()
    assert ada == {
        "id": shop["ada"],
        "name": "Ada",
        "email": "ada@example.com",
        "order_count": 2,
        "total_spent": "294.48",
        "forgotten": False,
    }
    assert bob["order_count"] == 1 and bob["total_spent"] == "0.00"


def test_removing_and_adding_items_keeps_totals_right(api, shop):
    command(api, "add-item", order_id=shop["cheap"], sku="INK", quantity=1, unit_price="0.99")
    command(api, "remove-item", order_id=shop["cheap"], sku="PEN")
    command(api, "add-item", order_id=shop["cheap"], sku="INK", quantity=2, unit_price="0.99")
    project()
    order = api.get(f"/api/orders/{shop['cheap']}/").json()
    assert (order["item_count"], order["total"], order["status"]) == (3, "2.97", "confirmed")
    assert api.get(f"/api/customers/{shop['ada']}/").json()["total_spent"] == "292.95"


def test_renaming_a_customer_renames_them_on_all_their_orders(api, shop):
    command(api, "update-customer", customer_id=shop["ada"], name="Ada Lovelace")
    project()
    names = {o["customer_name"] for o in api.get(f"/api/orders/?customer_id={shop['ada']}").json()["results"]}
    assert names == {"Ada Lovelace"}
    assert api.get(f"/api/customers/{shop['ada']}/").json()["name"] == "Ada Lovelace"


def test_list_is_paginated_with_limit_and_offset(api, shop):
    page = api.get("/api/orders/?limit=2&offset=0").json()
    assert set(page) == {"count", "next", "previous", "results"}
    assert page["count"] == 3 and len(page["results"]) == 2
    assert page["previous"] is None and "offset=2" in page["next"]
    last = api.get("/api/orders/?limit=2&offset=2").json()
    assert len(last["results"]) == 1 and last["next"] is None


def test_orders_filter_by_status_and_customer(api, shop):
    shipped = api.get("/api/orders/?status=shipped").json()["results"]
    assert [o["id"] for o in shipped] == [shop["dear"]]
    confirmed = api.get("/api/orders/?status=confirmed").json()["results"]
    assert [o["id"] for o in confirmed] == [shop["cheap"]]
    bobs = api.get(f"/api/orders/?customer_id={shop['bob']}").json()["results"]
    assert [o["id"] for o in bobs] == [shop["gone"]]


def test_orders_order_by_total_and_placed_at(api, shop):
    by_total = [o["id"] for o in api.get("/api/orders/?ordering=-total").json()["results"]]
    assert by_total == [shop["gone"], shop["dear"], shop["cheap"]]
    by_time = [o["id"] for o in api.get("/api/orders/?ordering=placed_at").json()["results"]]
    assert by_time == [shop["cheap"], shop["dear"], shop["gone"]]


@pytest.mark.parametrize("query", ["status=lost", "customer_id=not-a-uuid", "placed_after=yesterday"])
def test_bad_filter_values_are_400_with_detail(api, shop, query):
    response = api.get(f"/api/orders/?{query}")
    assert response.status_code == 400 and response.json()["detail"]


def test_unknown_ids_are_404_with_detail(api, shop):
    for url in (f"/api/orders/{new_id()}/", f"/api/customers/{new_id()}/", "/api/orders/not-a-uuid/"):
        response = api.get(url)
        assert response.status_code == 404 and response.json()["detail"]


def test_reading_needs_authentication(shop):
    for url in ("/api/orders/", "/api/customers/"):
        assert APIClient().get(url).status_code == 401


def test_queries_are_read_only(api, shop):
    assert api.post("/api/orders/", {}, format="json").status_code == 405
    assert api.delete(f"/api/orders/{shop['dear']}/").status_code == 405


@pytest.mark.parametrize("limit", ["100000000000000000000", "100000"])
def test_a_huge_limit_is_clamped_not_an_error(api, shop, limit):
    response = api.get(f"/api/orders/?limit={limit}")
    assert response.status_code == 200 and len(response.json()["results"]) == 3

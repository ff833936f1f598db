"""Small HTTP helpers shared by the API suites."""

import uuid

from rest_framework.test import APIClient

from eventstore.subscriptions import catch_up_all


def command(api: APIClient, endpoint: str, /, **body):
    return api.post(f"/api/commands/{endpoint}/", body, format="json")


def register_customer(api: APIClient, name: str = "Ada Lovelace", email: str = "ada@example.com") -> str:
    response = command(api, "register-customer", name=name, email=email)
    assert response.status_code == 200, response.json()
    return response.json()["aggregate_id"]


def place_order(api: APIClient, customer_id: str, items=None, **extra) -> str:
    items = [{"sku": "WIDGET", "quantity": 2, "unit_price": "9.99"}] if items is None else items
    response = command(api, "place-order", customer_id=customer_id, items=items, **extra)
    assert response.status_code == 200, response.json()
    return response.json()["aggregate_id"]


def project() -> None:
    """Run the projections in-process, exactly as the worker task does."""
    catch_up_all()


def new_id() -> str:
    return str(uuid.uuid4())

"""Small HTTP helpers shared by the API suites."""

import uuid

from rest_framework.test import APIClient

from eventstore.models import Event
from eventstore.subscriptions import catch_up, catch_up_all, get_subscriber


def command(api: APIClient, endpoint: str, /, **body):
    return api.post(f"/api/commands/{endpoint}/", body, format="json")


def unique_email(name: str = "ada") -> str:
    """An address no other customer has (emails are unique): `ada-1f3c…@example.com`."""
    return f"{name}-{uuid.uuid4().hex[:12]}@example.com"


def register_customer(api: APIClient, name: str = "Ada Lovelace", email: str | None = None) -> str:
    response = command(api, "register-customer", name=name, email=email or unique_email())
    assert response.status_code == 200, response.json()
    return response.json()["aggregate_id"]


def in_catalogue(api: APIClient, items) -> None:
    """Add each line's product at the line's price, unless it is in the catalogue already."""
    for item in items:
        price = item.get("unit_price", "9.99")
        added = command(api, "add-product", sku=item["sku"], name=f"The {item['sku'].lower()}", price=price)
        assert added.status_code in (200, 409), added.json()


def place_order(api: APIClient, customer_id: str, items=None, **extra) -> str:
    items = [{"sku": "WIDGET", "quantity": 2, "unit_price": "9.99"}] if items is None else items
    in_catalogue(api, items)
    response = command(api, "place-order", customer_id=customer_id, items=items, **extra)
    assert response.status_code == 200, response.json()
    return response.json()["aggregate_id"]


def project() -> None:
    """Run the projections and the saga in-process, as the worker does, until none has anything left.

    The saga's commands write events the projections then read: a few rounds, never many.
    """
    for _ in range(5):
        if not any(catch_up_all().values()):
            return
    raise AssertionError("the subscribers keep finding new events: does the saga write on every replay?")


def new_id() -> str:
    return str(uuid.uuid4())


def stock(api: APIClient, sku: str, quantity: int, price: str = "9.99") -> None:
    """Add the product with this sku (unless it exists) and put `quantity` more units on hand."""
    added = command(api, "add-product", sku=sku, name=f"The {sku.lower()}", price=price)
    assert added.status_code in (200, 409), added.json()
    restocked = command(api, "restock-product", sku=sku, quantity=quantity)
    assert restocked.status_code == 200, restocked.json()


def fulfil() -> None:
    """Run the order-fulfilment saga in-process, exactly as the worker task does."""
    catch_up(get_subscriber("order_fulfilment"))


def place_confirmed_order(api: APIClient, customer_id: str, items=None, **extra) -> str:
    """An order whose lines are in stock, placed and confirmed by the saga (so it can be shipped)."""
    items = [{"sku": "WIDGET", "quantity": 2, "unit_price": "9.99"}] if items is None else items
    for item in items:
        stock(api, item["sku"], item["quantity"])
    order = place_order(api, customer_id, items, **extra)
    fulfil()
    assert Event.objects.filter(stream_id=order, event_type="OrderConfirmed").exists(), "the saga did not confirm it"
    return order

"""Catalogue prices and a product's whole life, over HTTP: every refusal is its status, a `detail`,
and nothing written; a command that changes nothing is 200 with the current version and no event."""

import pytest

from eventstore.models import Event
from queries_app.models import OrderSummary, ProductStock
from tests.api.helpers import command, fulfil, project, register_customer, stock

pytestmark = [pytest.mark.django_db, pytest.mark.integration]  # reads the read models too


def refused(response, status: int, events_before: int) -> str:
    assert response.status_code == status, response.content
    detail = response.json()["detail"]
    assert isinstance(detail, str) and detail
    assert Event.objects.count() == events_before
    return detail


@pytest.fixture
def pen(api) -> None:
    stock(api, "PEN", 10, price="1.50")


def test_a_line_without_a_price_takes_the_catalogue_price(api, pen):
    customer = register_customer(api)
    order = command(api, "place-order", customer_id=customer, items=[{"sku": "PEN", "quantity": 2}]).json()
    placed = Event.objects.get(stream_id=order["aggregate_id"])
    assert placed.data["lines"] == [{"sku": "PEN", "quantity": 2, "unit_price": "1.50"}]
    assert placed.data["total"] == "3.00"
    added = command(api, "add-item", order_id=order["aggregate_id"], sku="PEN", quantity=1)
    assert added.status_code == 200
    assert Event.objects.get(stream_id=order["aggregate_id"], version=2).data["unit_price"] == "1.50"


@pytest.mark.parametrize("endpoint", ["place-order", "add-item"])
def test_a_line_at_another_price_is_422_naming_both_prices(api, pen, endpoint):
    customer = register_customer(api)
    order = command(api, "place-order", customer_id=customer, items=[]).json()["aggregate_id"]
    line = {"sku": "PEN", "quantity": 1, "unit_price": "0.00"}
    before = Event.objects.count()
    if endpoint == "place-order":
        response = command(api, "place-order", customer_id=customer, items=[line])
    else:
        response = command(api, "add-item", order_id=order, **line)
    detail = refused(response, 422, before)
    assert "costs 1.50" in detail and "asked for 0.00" in detail


@pytest.mark.parametrize("endpoint", ["place-order", "add-item"])
def test_a_line_for_no_product_is_422(api, endpoint):
    customer = register_customer(api)
    order = command(api, "place-order", customer_id=customer, items=[]).json()["aggregate_id"]
    before = Event.objects.count()
    if endpoint == "place-order":
        response = command(api, "place-order", customer_id=customer, items=[{"sku": "NOPE", "quantity": 1}])
    else:
        response = command(api, "add-item", order_id=order, sku="NOPE", quantity=1)
    assert "No product with sku 'NOPE'" in refused(response, 422, before)


def test_a_price_change_after_placing_leaves_the_placed_order_as_it_was(api, pen):
    customer = register_customer(api)
    items = [{"sku": "PEN", "quantity": 4}]
    order = command(api, "place-order", customer_id=customer, items=items).json()["aggregate_id"]
    changed = command(api, "change-product-price", sku="PEN", price="2.00")
    assert changed.status_code == 200 and changed.json()["events"] == ["ProductPriceChanged"]
    project()  # the saga reserves and confirms after the change: at the price the line took

    summary = OrderSummary.objects.get(id=order)
    assert (summary.status, summary.total) == ("confirmed", 6)
    assert list(summary.lines.values_list("unit_price", flat=True)) == [1.5]
    assert api.get("/api/products/PEN/").json()["price"] == "2.00"
    # A new order takes the new price; asking for the old one is refused.
    again = command(api, "place-order", customer_id=customer, items=items).json()["aggregate_id"]
    assert Event.objects.get(stream_id=again).data["total"] == "8.00"
    old = [{"sku": "PEN", "quantity": 1, "unit_price": "1.50"}]
    assert "costs 2.00" in refused(
        command(api, "place-order", customer_id=customer, items=old), 422, Event.objects.count()
    )


def test_the_saga_never_confirms_a_line_at_a_non_catalogue_price(api, pen):
    # Every line the saga confirms was written at the catalogue's price of its moment: the order
    # events it confirms name no other price than one the product stream had.
    customer = register_customer(api)
    for price in ("0.00", "1.49", "99.00"):
        command(api, "place-order", customer_id=customer, items=[{"sku": "PEN", "quantity": 1, "unit_price": price}])
    command(api, "place-order", customer_id=customer, items=[{"sku": "PEN", "quantity": 1}])
    command(api, "change-product-price", sku="PEN", price="1.75")
    command(api, "place-order", customer_id=customer, items=[{"sku": "PEN", "quantity": 1, "unit_price": "1.75"}])
    fulfil()

    catalogue = {Event.objects.get(stream_id="product:PEN", version=1).data["price"]} | {
        e.data["price"] for e in Event.objects.filter(stream_id="product:PEN", event_type="ProductPriceChanged")
    }
    confirmed = Event.objects.filter(event_type="OrderConfirmed").values_list("stream_id", flat=True)
    prices = [
        line["unit_price"]
        for e in Event.objects.filter(stream_id__in=list(confirmed), event_type="OrderPlaced")
        for line in e.data["lines"]
    ]
    assert sorted(prices) == ["1.50", "1.75"] and set(prices) <= catalogue


def test_rename_and_the_read_model_follows(api, pen):
    response = command(api, "rename-product", sku="PEN", name="Fountain pen")
    assert response.status_code == 200 and response.json()["events"] == ["ProductRenamed"]
    project()
    assert ProductStock.objects.get(sku="PEN").name == "Fountain pen"


@pytest.mark.parametrize(
    ("endpoint", "body"),
    [
        ("change-product-price", {"price": "1.50"}),
        ("change-product-price", {"price": "1.5"}),
        ("rename-product", {"name": "The pen"}),
    ],
)
def test_a_command_that_changes_nothing_is_200_with_the_current_version_and_no_event(api, pen, endpoint, body):
    before = Event.objects.count()
    response = command(api, endpoint, sku="PEN", **body)
    assert response.status_code == 200
    assert response.json()["events"] == [] and response.json()["version"] == 2
    assert Event.objects.count() == before


def test_discontinue_refuses_new_lines_and_honours_open_reservations(api, pen):
    customer = register_customer(api)
    open_order = command(api, "place-order", customer_id=customer, items=[{"sku": "PEN", "quantity": 3}])
    open_order = open_order.json()["aggregate_id"]
    response = command(api, "discontinue-product", sku="PEN")
    assert response.status_code == 200 and response.json()["events"] == ["ProductDiscontinued"]
    again = command(api, "discontinue-product", sku="PEN")
    assert again.status_code == 200 and again.json()["events"] == [] and again.json()["version"] == 3

    before = Event.objects.count()
    new_order = command(api, "place-order", customer_id=customer, items=[{"sku": "PEN", "quantity": 1}])
    assert "discontinued" in refused(new_order, 422, before)
    more = command(api, "add-item", order_id=open_order, sku="PEN", quantity=1)
    assert "discontinued" in refused(more, 422, before)

    project()  # the order placed before it is still reserved, confirmed and shipped
    assert OrderSummary.objects.get(id=open_order).status == "confirmed"
    assert command(api, "ship-order", order_id=open_order).status_code == 200
    project()
    pen_view = api.get("/api/products/PEN/").json()
    assert (pen_view["discontinued"], pen_view["on_hand"], pen_view["reserved"]) == (True, 7, 0)
    assert [p["sku"] for p in api.get("/api/products/?discontinued=true").json()["results"]] == ["PEN"]


def test_write_off_takes_units_off_hand_and_records_the_reason(api, pen):
    response = command(api, "write-off-stock", sku="PEN", quantity=4, reason="water damage")
    assert response.status_code == 200 and response.json()["events"] == ["StockWrittenOff"]
    assert Event.objects.last().data == {"quantity": 4, "reason": "water damage"}
    project()
    view = api.get("/api/products/PEN/").json()
    assert (view["on_hand"], view["available"], view["written_off"]) == (6, 6, 4)


def test_write_off_never_below_what_is_reserved(api, pen):
    customer = register_customer(api)
    command(api, "place-order", customer_id=customer, items=[{"sku": "PEN", "quantity": 8}])
    fulfil()  # 8 of the 10 reserved
    before = Event.objects.count()
    detail = refused(command(api, "write-off-stock", sku="PEN", quantity=3, reason="lost"), 422, before)
    assert "8 of them reserved" in detail and "at most 2" in detail


@pytest.mark.parametrize(
    ("endpoint", "body"),
    [
        ("change-product-price", {"price": "2.00"}),
        ("rename-product", {"name": "A pen"}),
        ("discontinue-product", {}),
        ("write-off-stock", {"quantity": 1, "reason": "lost"}),
    ],
)
def test_a_product_command_for_no_product_is_404(api, endpoint, body):
    response = command(api, endpoint, sku="NOPE", **body)
    refused(response, 404, 0)


@pytest.mark.parametrize(
    ("endpoint", "body", "field"),
    [
        ("change-product-price", {"price": "-1"}, "price"),
        ("change-product-price", {"price": 2}, "price"),
        ("rename-product", {"name": ""}, "name"),
        ("write-off-stock", {"quantity": 0, "reason": "lost"}, "quantity"),
        ("write-off-stock", {"quantity": 1}, "reason"),
        ("write-off-stock", {"quantity": 1, "reason": " "}, "reason"),
    ],
)
def test_bad_input_to_a_product_command_is_400_naming_the_field(api, pen, endpoint, body, field):
    before = Event.objects.count()
    response = command(api, endpoint, sku="PEN", **body)
    refused(response, 400, before)
    assert field in response.json()["errors"]


def test_expected_version_guards_the_product_commands(api, pen):
    response = command(api, "change-product-price", sku="PEN", price="3.00", expected_version=1)
    assert response.status_code == 409 and response.json()["current_version"] == 2


@pytest.mark.parametrize(("query", "skus"), [("true", ["PEN"]), ("false", ["INK"]), ("", ["INK", "PEN"])])
def test_products_filter_by_discontinued(api, pen, query, skus):
    stock(api, "INK", 1)
    command(api, "discontinue-product", sku="PEN")
    project()
    body = api.get(f"/api/products/?discontinued={query}").json()
    assert [p["sku"] for p in body["results"]] == skus


def test_a_discontinued_filter_it_cannot_read_is_400(api):
    response = api.get("/api/products/?discontinued=maybe")
    assert response.status_code == 400 and "discontinued" in response.json()["detail"]

"""Upcasting: old stored payloads read in the current shape, by aggregates, projections and the HTTP API."""

import uuid
from decimal import Decimal

import pytest

from commands_app.domain.order import Order, OrderLine
from commands_app.domain.registry import domain_events
from commands_app.domain.upcasters import upcasters as domain_upcasters
from commands_app.framework.repository import AggregateRepository
from eventstore.models import Event
from eventstore.store import EventStore
from eventstore.subscriptions import catch_up, get_subscriber
from eventstore.upcasting import Upcasters, registered_upcasters
from queries_app.models import CustomerOrderTotal, CustomerView, OrderSummary
from tests.api.helpers import command, in_catalogue, new_id, project, register_customer, stock

# A made-up event whose shape changed twice: v1 {"name"} -> v2 {"full_name"} -> v3 {"full_name", "nickname"}.
chain = Upcasters()


@chain.register("ThingNamed", from_version=1)
def renamed(data: dict) -> dict:
    return {"full_name": data["name"]}


@chain.register("ThingNamed", from_version=2)
def nickname_added(data: dict) -> dict:
    return {**data, "nickname": data["full_name"].split()[0]}


@pytest.fixture
def thing_upcasters(settings):
    settings.EVENTSTORE_UPCASTERS = ["tests.eventstore.test_upcasting.chain"]
    registered_upcasters.cache_clear()
    yield
    registered_upcasters.cache_clear()


class TestUpcasters:
    def test_steps_chain_from_any_stored_version_to_the_newest(self):
        assert chain.upcast("ThingNamed", 1, {"name": "Ada Lovelace"}) == (
            3,
            {"full_name": "Ada Lovelace", "nickname": "Ada"},
        )
        assert chain.upcast("ThingNamed", 2, {"full_name": "Ada Lovelace"})[0] == 3
        assert chain.upcast("ThingNamed", 3, {"full_name": "A", "nickname": "A"}) == (
            3,
            {"full_name": "A", "nickname": "A"},
        )

    def test_other_event_types_pass_untouched(self):
        data = {"name": "x"}
        assert chain.upcast("OtherThing", 1, data) == (1, data)
        assert not chain.handles("OtherThing")

    def test_a_second_upcaster_for_the_same_step_is_refused(self):
        with pytest.raises(ValueError, match="already has an upcaster"):
            chain.add("ThingNamed", 1, renamed)

    def test_every_domain_event_class_is_at_the_version_its_upcasters_reach(self):
        # A bumped `schema_version` without an upcaster (or the reverse) fails here, not in production.
        for event_type in domain_events.event_types():
            assert domain_upcasters.latest_version(event_type) == domain_events.schema_version(event_type), event_type


@pytest.mark.django_db
def test_every_read_path_of_the_store_upcasts(thing_upcasters):
    for version, (schema, data) in enumerate(
        [(1, {"name": "Ada Lovelace"}), (2, {"full_name": "Grace Hopper"}), (3, {"full_name": "X", "nickname": "Y"})],
        start=1,
    ):
        Event.objects.create(
            stream_type="Thing",
            stream_id="t-1",
            version=version,
            event_type="ThingNamed",
            schema_version=schema,
            data=data,
        )
    store = EventStore()
    expected = [
        {"full_name": "Ada Lovelace", "nickname": "Ada"},
        {"full_name": "Grace Hopper", "nickname": "Grace"},
        {"full_name": "X", "nickname": "Y"},
    ]

    for events in (store.load("t-1"), store.read_all(0), list(store.iter_all(0, batch_size=2))):
        assert [e.data for e in events] == expected
        assert {e.schema_version for e in events} == {3}
    # The rows themselves are never rewritten.
    assert Event.objects.get(stream_id="t-1", version=1).data == {"name": "Ada Lovelace"}


@pytest.fixture
def old_order(api):
    """An order whose OrderPlaced row is in schema 1 (no `total`), as rows written before the change are."""
    customer = register_customer(api)
    order = new_id()
    Event.objects.create(
        stream_type="Order",
        stream_id=order,
        version=1,
        event_type="OrderPlaced",
        schema_version=1,
        data={
            "customer_id": customer,
            "lines": [
                {"sku": "WIDGET", "quantity": 2, "unit_price": "9.99"},
                {"sku": "GIZMO", "quantity": 1, "unit_price": "0.05"},
            ],
        },
        metadata={"command": "place-order"},
    )
    return {"customer": customer, "order": order}


@pytest.mark.django_db
def test_an_aggregate_loads_from_old_rows_in_the_current_shape(old_order):
    order = AggregateRepository(EventStore(), domain_events).load(Order, old_order["order"])

    assert order.version == 1
    assert order.customer_id == uuid.UUID(old_order["customer"])
    assert order.lines["WIDGET"].unit_price == Decimal("9.99")
    stored = EventStore().load(old_order["order"])[0]
    assert (stored.schema_version, stored.data["total"]) == (2, "20.03")


@pytest.mark.django_db
def test_projections_and_the_http_read_side_handle_old_rows(api, old_order):
    for sku in ("WIDGET", "GIZMO", "NEW"):  # in stock, so the saga confirms the order rather than cancel it
        stock(api, sku, 5, price="1.00")
    assert (
        command(api, "add-item", order_id=old_order["order"], sku="NEW", quantity=1, unit_price="1.00").status_code
        == 200
    )
    project()

    order = api.get(f"/api/orders/{old_order['order']}/").json()
    customer = api.get(f"/api/customers/{old_order['customer']}/").json()
    assert (order["total"], order["item_count"], order["status"]) == ("21.03", 4, "confirmed")
    assert (customer["order_count"], customer["total_spent"]) == (1, "21.03")

    history = api.get(f"/api/streams/{old_order['order']}/?version=1").json()
    assert history["events"][0]["data"]["total"] == "20.03"
    assert history["state"]["lines"][0] == {"sku": "WIDGET", "quantity": 2, "unit_price": "9.99"}


@pytest.mark.django_db
def test_new_rows_are_written_in_the_current_shape(api):
    customer = register_customer(api)
    body = {"customer_id": customer, "items": [{"sku": "A", "quantity": 3, "unit_price": "1.10"}]}
    in_catalogue(api, body["items"])
    order = command(api, "place-order", **body).json()["aggregate_id"]

    row = Event.objects.get(stream_id=order)
    assert (row.schema_version, row.data["total"]) == (2, "3.30")


def _old_order_rows(order_id: str, customer: str) -> None:
    """An order confirmed, then changed, all in schema 1: line events without `total`, no OrderReopened."""
    rows = [
        ("OrderPlaced", {"customer_id": customer, "lines": [{"sku": "WIDGET", "quantity": 2, "unit_price": "9.99"}]}),
        ("OrderConfirmed", {}),
        ("ItemAdded", {"sku": "INK", "quantity": 3, "unit_price": "0.50"}),
        ("ItemRemoved", {"sku": "WIDGET", "quantity": 2, "unit_price": "9.99"}),
    ]
    for version, (event_type, data) in enumerate(rows, start=1):
        Event.objects.create(
            stream_type="Order",
            stream_id=order_id,
            version=version,
            event_type=event_type,
            schema_version=1,
            data=data,
            metadata={"command": "test"},
        )


def _new_order(order_id: str, customer: str) -> None:
    """The same history, written by today's aggregate."""
    order = Order(order_id)
    order.place(uuid.UUID(customer), (OrderLine("WIDGET", 2, Decimal("9.99")),))
    order.confirm()
    order.add_item("INK", 3, Decimal("0.50"))
    order.remove_item("WIDGET")
    AggregateRepository(EventStore(), domain_events).save(order, {"command": "test"})


@pytest.mark.django_db
def test_old_line_events_read_with_total_none_and_the_aggregate_reopens_as_schema_1_did(api):
    order_id = new_id()
    _old_order_rows(order_id, register_customer(api))

    stored = EventStore().load(order_id)
    assert [(e.event_type, e.schema_version, e.data.get("total")) for e in stored[2:]] == [
        ("ItemAdded", 2, None),
        ("ItemRemoved", 2, None),
    ]
    order = AggregateRepository(EventStore(), domain_events).load(Order, order_id)
    assert (order.status, set(order.lines), order.ordered_skus) == ("placed", {"INK"}, {"WIDGET", "INK"})


@pytest.mark.django_db
def test_old_line_events_project_to_the_totals_and_statuses_that_new_ones_carry(api):
    customer = register_customer(api)
    old, new = new_id(), new_id()
    _old_order_rows(old, customer)
    _new_order(new, customer)
    assert [e.event_type for e in EventStore().load(new)][2:] == ["ItemAdded", "OrderReopened", "ItemRemoved"]
    for name in ("order_summary", "customer_view"):  # the projections alone: the saga would act on them
        catch_up(get_subscriber(name))

    summaries = {str(o.id): (o.item_count, o.total, o.status) for o in OrderSummary.objects.filter(id__in=[old, new])}
    assert summaries[old] == summaries[new] == (3, Decimal("1.50"), "placed")
    totals = dict(CustomerOrderTotal.objects.filter(order_id__in=[old, new]).values_list("order_id", "total"))
    assert set(totals.values()) == {Decimal("1.50")}
    assert CustomerView.objects.get(id=customer).total_spent == Decimal("3.00")

"""The admin's correlation page: everything one request caused, saga steps under their causes."""

import uuid
from decimal import Decimal

import pytest

from commands_app.domain.commands import AddProduct, OrderLine, PlaceOrder, RegisterCustomer, RestockProduct
from commands_app.framework.bus import CommandContext
from commands_app.wiring import command_bus
from eventstore.correlation import correlation_tree
from eventstore.models import Event
from eventstore.store import EventStore
from tests.api.helpers import fulfil

pytestmark = pytest.mark.django_db

SAGA_USER = "saga:order-fulfilment"


@pytest.fixture
def request_with_a_saga_step() -> dict:
    """A client's request (register + place order), then the fulfilment saga's steps because of OrderPlaced."""
    bus = command_bus()
    shop = CommandContext(user="shopkeeper")  # another request: the product and its stock
    bus.dispatch(AddProduct(sku="WIDGET", name="Widget", price=Decimal("5.00")), shop)
    bus.dispatch(RestockProduct(sku="WIDGET", quantity=3), shop)
    client = CommandContext(user="ada", correlation_id=f"req-{uuid.uuid4()}")
    customer = bus.dispatch(RegisterCustomer(name="Ada", email="ada@example.com"), client).aggregate_id
    line = OrderLine(sku="WIDGET", quantity=1, unit_price=Decimal("5.00"))
    order = bus.dispatch(PlaceOrder(customer_id=uuid.UUID(customer), items=(line,)), client).aggregate_id
    placed = EventStore().load(order)[0]
    fulfil()  # the real saga, in-process: reserve stock for the line, then confirm the order
    bus.dispatch(RegisterCustomer(name="Bob", email="bob@example.com"), CommandContext(user="bob"))  # another request
    return {"correlation_id": client.correlation_id, "order": order, "placed": placed}


def outline(rows) -> list[tuple[int, str]]:
    return [(row.depth, row.command.command_type if row.command else row.event.event_type) for row in rows]


def test_the_tree_lists_commands_their_events_and_the_saga_step_under_its_cause(request_with_a_saga_step):
    tree = correlation_tree(request_with_a_saga_step["correlation_id"])
    assert outline(tree.rows) == [
        (0, "register-customer"),
        (1, "CustomerRegistered"),
        (0, "place-order"),
        (1, "OrderPlaced"),
        (2, "reserve-stock"),
        (3, "StockReserved"),
        (3, "StockHoldChanged"),  # the order's hold of the product, in the same transaction
        (2, "confirm-order"),
        (3, "OrderConfirmed"),
    ]
    assert (tree.command_count, tree.event_count, tree.truncated) == (4, 5, False)
    commands = [row.command for row in tree.rows if row.command]
    assert [(c.user, c.sent_by_client) for c in commands] == [
        ("ada", True),
        ("ada", True),
        (SAGA_USER, False),
        (SAGA_USER, False),
    ]
    placed = request_with_a_saga_step["placed"].event_id
    assert commands[2].cause.event_id == placed and commands[3].cause.event_id == placed


def test_the_page_renders_the_tree_with_users_and_causes(staff_client, request_with_a_saga_step):
    correlation_id = request_with_a_saga_step["correlation_id"]
    page = staff_client.get(f"/admin/eventstore/event/correlation/{correlation_id}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "4 commands and 5 events" in html
    assert f'by <span class="command-user">{SAGA_USER}</span>' in html
    placed = request_with_a_saga_step["placed"]
    assert f"caused by OrderPlaced #{placed.position}" in html
    assert f"/admin/eventstore/event/stream/{request_with_a_saga_step['order']}/" in html
    assert "Bob" not in html and "bob" not in html and "shopkeeper" not in html  # other requests stay out


def test_the_event_detail_links_to_its_request(staff_client, request_with_a_saga_step):
    event = Event.objects.get(event_type="OrderConfirmed")
    html = staff_client.get(f"/admin/eventstore/event/{event.pk}/change/").content.decode()
    assert f"/admin/eventstore/event/correlation/{request_with_a_saga_step['correlation_id']}/" in html


def test_a_request_beyond_the_limit_is_cut_off_and_says_so(request_with_a_saga_step):
    tree = correlation_tree(request_with_a_saga_step["correlation_id"], limit=2)
    assert tree.truncated and tree.event_count == 2
    assert outline(tree.rows) == [
        (0, "register-customer"),
        (1, "CustomerRegistered"),
        (0, "place-order"),
        (1, "OrderPlaced"),
    ]


def test_forged_metadata_that_loops_still_shows_every_event_once():
    one, two = str(uuid.uuid4()), str(uuid.uuid4())
    first, second = uuid.uuid4(), uuid.uuid4()

    # Command "a" claims event `second` as its cause, command "b" claims event `first`: a cycle.
    def event(event_id, stream_id, version, event_type, **metadata):
        metadata = {"correlation_id": "loop", **metadata}
        return Event(event_id=event_id, stream_type="T", stream_id=stream_id, version=version,
                     event_type=event_type, data={}, metadata=metadata)  # fmt: skip

    Event.objects.bulk_create(
        [
            event(first, one, 1, "A", command_id="a", command="DoA", causation_id=str(second)),
            event(second, two, 1, "B", command_id="b", command="DoB", causation_id=str(first)),
            event(uuid.uuid4(), two, 2, "C"),
        ]
    )
    rows = correlation_tree("loop").rows
    events = [row.event.event_type for row in rows if row.event]
    assert sorted(events) == ["A", "B", "C"]


def test_an_unknown_correlation_id_is_404(staff_client):
    assert staff_client.get("/admin/eventstore/event/correlation/nothing-here/").status_code == 404

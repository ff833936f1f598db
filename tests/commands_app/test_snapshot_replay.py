"""Property: an aggregate loaded from a snapshot plus later events equals one rebuilt by a full replay."""

import json
import uuid
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commands_app.domain.order import Order, OrderLine
from commands_app.domain.registry import domain_events
from commands_app.framework.errors import DomainError
from commands_app.framework.repository import AggregateRepository
from eventstore.models import Snapshot
from eventstore.store import EventStore

SKUS = ["A", "B", "C"]
prices = st.one_of(
    st.sampled_from([Decimal("0"), Decimal("9.99"), Decimal("9.990"), Decimal("1000000")]),
    st.decimals(min_value=0, max_value=1000, places=2),
)
line = st.builds(OrderLine, sku=st.sampled_from(SKUS), quantity=st.integers(1, 5), unit_price=prices)
action = st.one_of(
    st.tuples(st.just("add"), st.sampled_from(SKUS), st.integers(1, 5), prices),
    st.tuples(st.just("remove"), st.sampled_from(SKUS)),
    st.tuples(st.just("ship")),
    # PostgreSQL text cannot hold NUL nor a lone surrogate (the HTTP layer refuses both).
    st.tuples(
        st.just("cancel"),
        st.text(st.characters(exclude_characters="\x00", exclude_categories=["Cs"]), min_size=1, max_size=20),
    ),
)
# Each save takes 1-3 actions, so some appends jump over a snapshot multiple.
saves = st.lists(st.lists(action, min_size=1, max_size=3), max_size=25)
placed_lines = st.lists(line, max_size=3, unique_by=lambda item: item.sku)


def act(order: Order, step: tuple) -> None:
    """Run one domain method; a refusal (a closed order, a price clash) just raises no event."""
    name, *args = step
    try:
        actions: dict[str, Callable[..., None]] = {
            "add": order.add_item,
            "remove": order.remove_item,
            "ship": order.ship,
            "cancel": order.cancel,
        }
        actions[name](*args)
    except DomainError:
        pass


def state_of(order: Order) -> dict:
    return dict(vars(order))


@given(lines=placed_lines, steps=st.lists(action, max_size=40))
@settings(max_examples=100, deadline=None)
def test_snapshot_state_round_trips_through_json_exactly(lines, steps):
    order = Order("order-1")
    order.place(uuid.uuid4(), tuple(lines))
    for step in steps:
        act(order, step)

    restored = Order.from_snapshot(order.id, order.version, json.loads(json.dumps(order.snapshot_state())))

    assert (restored.customer_id, restored.status, restored.lines) == (order.customer_id, order.status, order.lines)
    # Exact money: 9.990 stays 9.990, not 9.99 (or 9.9899999).
    assert [str(item.unit_price) for item in restored.lines.values()] == [
        str(item.unit_price) for item in order.lines.values()
    ]


@pytest.mark.django_db
@given(every=st.integers(1, 7), lines=placed_lines, batches=saves)
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_loading_via_snapshot_equals_a_full_replay(every, lines, batches):
    order_id = str(uuid.uuid4())
    with_snapshots = AggregateRepository(EventStore(), domain_events)
    full_replay = AggregateRepository(EventStore(), domain_events, snapshots=False)
    with override_settings(EVENTSTORE_SNAPSHOT_EVERY={"Order": every}):
        order = Order(order_id)
        order.place(uuid.uuid4(), tuple(lines))
        with_snapshots.save(order, {})
        for batch in batches:
            order = with_snapshots.load(Order, order_id)
            for step in batch:
                act(order, step)
            if order.pending_events:
                with_snapshots.save(order, {})

        loaded = with_snapshots.load(Order, order_id)
        replayed = full_replay.load(Order, order_id)

    assert state_of(loaded) == state_of(replayed)
    snapshots = list(Snapshot.objects.filter(stream_id=order_id))
    # One per multiple of `every` passed; an append of several events may jump over one.
    assert (replayed.version >= every) <= bool(snapshots) and len(snapshots) <= replayed.version // every
    for snapshot in snapshots:
        # Each snapshot is exactly the state a replay reaches at its version.
        at_version = full_replay.replay(Order(order_id), EventStore().load(order_id, up_to_version=snapshot.version))
        assert snapshot.state == at_version.snapshot_state()

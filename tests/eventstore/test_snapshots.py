"""Snapshots: written with the append that crosses N, trusted only when they match, never fatal."""

import uuid
from decimal import Decimal

import pytest
from django.db import transaction

from commands_app.domain.customer import Customer
from commands_app.domain.order import Order
from commands_app.domain.registry import domain_events
from commands_app.framework.repository import AggregateRepository
from eventstore import snapshots
from eventstore.models import Snapshot
from eventstore.personal.sealing import PERSONAL
from eventstore.snapshot_policy import snapshot_every
from eventstore.snapshots import SnapshotStore, crosses_threshold
from eventstore.store import EventStore, NewEvent
from tests.api.helpers import command, in_catalogue, place_order, register_customer

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def every_three(settings):
    settings.EVENTSTORE_SNAPSHOT_EVERY = {"Order": 3, "Customer": 3}


@pytest.fixture
def repository() -> AggregateRepository:
    return AggregateRepository(EventStore(), domain_events)


def full_replay(aggregate_type, aggregate_id):
    return AggregateRepository(EventStore(), domain_events, snapshots=False).load(aggregate_type, aggregate_id)


def order_with_items(repository: AggregateRepository, count: int) -> str:
    """An order at version 1 + `count`, one save per event."""
    order = Order(str(uuid.uuid4()))
    order.place(uuid.uuid4(), ())
    repository.save(order, {})
    for n in range(count):
        order = repository.load(Order, order.id)
        order.add_item(f"SKU-{n}", 1, Decimal("1.10"))
        repository.save(order, {})
    return order.id


def test_threshold_is_crossed_by_appends_that_pass_a_multiple():
    assert crosses_threshold(3, 2, 3)
    assert crosses_threshold(3, 2, 5)  # several events at once jump over 3
    assert not crosses_threshold(3, 3, 5)
    assert not crosses_threshold(3, 0, 2)


def test_snapshot_every_reads_the_setting_per_stream_type(settings):
    settings.EVENTSTORE_SNAPSHOT_EVERY = {"Order": 50, "Customer": 0}
    assert snapshot_every("Order") == 50
    assert snapshot_every("Customer") is None
    assert snapshot_every("Unknown") is None


def test_a_snapshot_is_written_every_n_events_with_the_replayed_state(repository):
    order_id = order_with_items(repository, 6)  # versions 1..7

    snapshots = list(Snapshot.objects.filter(stream_id=order_id).order_by("version"))
    assert [s.version for s in snapshots] == [3, 6]
    assert {(s.stream_type, s.schema_version) for s in snapshots} == {("Order", Order.snapshot_schema_version)}
    assert snapshots[-1].state["lines"][0] == {"sku": "SKU-0", "quantity": 1, "unit_price": "1.10"}


def test_commands_over_http_write_snapshots_too(api):
    customer = register_customer(api, email="ada@example.com")
    for name in ("B", "C", "D"):
        assert command(api, "update-customer", customer_id=customer, name=name).status_code == 200

    snapshot = Snapshot.objects.get(stream_id=customer)
    # The customer's name and email are sealed in the stored state, as in their events.
    assert (snapshot.version, set(snapshot.state)) == (3, {"forgotten", PERSONAL})
    assert SnapshotStore().latest(customer).state == {"name": "C", "email": "ada@example.com", "forgotten": False}


def test_loading_starts_from_the_latest_snapshot(repository):
    order_id = order_with_items(repository, 4)  # snapshot at 3, version 5
    # Tamper with the snapshot: if the load uses it, the tampering shows.
    Snapshot.objects.filter(stream_id=order_id, version=3).update(
        state={"customer_id": None, "status": "from-snapshot", "ordered_skus": [], "lines": []}
    )

    order = repository.load(Order, order_id)

    assert order.version == 5
    assert order.status == "from-snapshot"
    assert list(order.lines) == ["SKU-2", "SKU-3"]  # only the events after version 3 were applied


def test_a_snapshot_of_an_older_schema_is_ignored(repository, monkeypatch):
    order_id = order_with_items(repository, 4)
    Snapshot.objects.filter(stream_id=order_id).update(state={"customer_id": None, "status": "stale", "lines": []})
    monkeypatch.setattr(Order, "snapshot_schema_version", Order.snapshot_schema_version + 1)

    order = repository.load(Order, order_id)

    assert vars(order) == vars(full_replay(Order, order_id))
    assert order.status == "placed"


@pytest.mark.parametrize(
    "state",
    [
        {},
        {"garbage": 1},
        {"customer_id": "not-a-uuid", "status": "placed", "lines": []},
        {"customer_id": None, "status": None, "lines": [{"sku": "A", "quantity": 1, "unit_price": "abc"}]},
    ],
    ids=["empty", "unknown-keys", "bad-uuid", "bad-money"],
)
def test_a_corrupt_snapshot_never_breaks_a_load(repository, state):
    order_id = order_with_items(repository, 4)
    Snapshot.objects.filter(stream_id=order_id).update(state=state)

    assert vars(repository.load(Order, order_id)) == vars(full_replay(Order, order_id))


def test_a_snapshot_of_another_stream_type_is_ignored(repository):
    order_id = order_with_items(repository, 1)
    SnapshotStore().save(order_id, "Customer", 2, 1, {"name": "x", "email": "y"})

    assert not repository.load(Customer, order_id).exists  # still "another type's stream"
    assert vars(repository.load(Order, order_id)) == vars(full_replay(Order, order_id))


def test_a_snapshot_beyond_the_stream_is_ignored(repository):
    # Trusting it would put the aggregate at a version the store never reaches: every save would conflict.
    order_id = order_with_items(repository, 1)
    SnapshotStore().save(
        order_id, "Order", 9, Order.snapshot_schema_version, {"customer_id": None, "status": "x", "lines": []}
    )

    order = repository.load(Order, order_id)
    assert vars(order) == vars(full_replay(Order, order_id))
    order.add_item("MORE", 1, Decimal("1"))
    assert repository.save(order, {}).version == 3


def test_a_new_snapshot_replaces_a_leftover_at_the_same_version(repository):
    order_id = order_with_items(repository, 1)
    SnapshotStore().save(order_id, "Order", 3, 1, {"customer_id": None, "status": "bogus", "lines": []})
    order = repository.load(Order, order_id)
    order.add_item("MORE", 1, Decimal("1"))
    repository.save(order, {})  # reaches 3 and writes the real snapshot

    assert Snapshot.objects.get(stream_id=order_id, version=3).state == full_replay(Order, order_id).snapshot_state()


def test_the_snapshot_commits_or_rolls_back_with_its_append(repository):
    order_id = order_with_items(repository, 1)
    order = repository.load(Order, order_id)
    order.add_item("LATE", 1, Decimal("1"))

    with pytest.raises(RuntimeError), transaction.atomic():
        repository.save(order, {})  # crosses 3: snapshot written in this transaction
        assert Snapshot.objects.filter(stream_id=order_id).exists()
        raise RuntimeError("the command fails after the append")

    assert not Snapshot.objects.filter(stream_id=order_id).exists()
    assert EventStore().stream_version(order_id) == 2


@pytest.mark.parametrize(
    "hook", [lambda self: 1 / 0, lambda self: {"total": Decimal("1.10")}], ids=["raises", "not-json"]
)
def test_a_failing_snapshot_hook_does_not_refuse_the_command(repository, monkeypatch, hook):
    broken = hook

    monkeypatch.setattr(Order, "snapshot_state", broken)
    order_id = order_with_items(repository, 3)

    assert EventStore().stream_version(order_id) == 4
    assert not Snapshot.objects.filter(stream_id=order_id).exists()


def test_snapshots_off_for_a_type_writes_none(repository, settings):
    settings.EVENTSTORE_SNAPSHOT_EVERY = {}
    order_id = order_with_items(repository, 5)
    assert not Snapshot.objects.filter(stream_id=order_id).exists()


def test_deleting_snapshots_only_costs_speed(api, repository):
    order_id = place_order(api, register_customer(api))
    in_catalogue(api, [{"sku": f"S{n}", "unit_price": "2.50"} for n in range(5)])
    for n in range(5):
        command(api, "add-item", order_id=order_id, sku=f"S{n}", quantity=1, unit_price="2.50")
    assert SnapshotStore().delete(order_id) == 2

    assert vars(repository.load(Order, order_id)) == vars(full_replay(Order, order_id))


def test_a_load_is_one_query_with_or_without_a_snapshot(repository, django_assert_num_queries):
    order_id = order_with_items(repository, 4)
    with django_assert_num_queries(1):
        assert repository.load(Order, order_id).version == 5
    SnapshotStore().delete(order_id)
    with django_assert_num_queries(1):
        assert repository.load(Order, order_id).version == 5


def test_load_stream_reads_events_exactly_as_the_store_does(repository):
    order_id = order_with_items(repository, 4)  # snapshot at 3, version 5
    store = EventStore()

    def replayed(events) -> list[tuple]:  # what a replay reads of each event
        return [(e.stream_type, e.version, e.event_type, e.schema_version, e.data) for e in events]

    snapshot, events = SnapshotStore().load_stream(store, order_id, "Order", Order.snapshot_schema_version)
    assert snapshot.version == 3
    assert replayed(events) == replayed(store.load(order_id, after_version=2))

    snapshot, events = SnapshotStore().load_stream(store, order_id, "Order", Order.snapshot_schema_version + 1)
    assert snapshot is None
    assert replayed(events) == replayed(store.load(order_id))


def test_load_stream_keeps_integers_beyond_64_bits_exact():
    # orjson reads such an integer as a float without a word; jsonb keeps it exact, so must a load.
    stream_id, big = str(uuid.uuid4()), 2**70 + 1
    store = EventStore()
    store.append(stream_id, "Test", [NewEvent("TestHappened", {"n": big, "list": [-big]}, {})], None)
    _, events = SnapshotStore().load_stream(store, stream_id, "Test", 1)
    assert [e.data for e in events] == [{"n": big, "list": [-big]}]


def test_a_load_longer_than_its_limit_reads_the_rest(repository, monkeypatch, django_assert_num_queries):
    monkeypatch.setattr(snapshots, "LOAD_STREAM_LIMIT", 2)  # the LIMIT keeps PostgreSQL on the index
    order_id = order_with_items(repository, 4)  # snapshot at 3, version 5
    expected = vars(full_replay(Order, order_id))
    with django_assert_num_queries(2):
        assert vars(repository.load(Order, order_id)) == expected
    SnapshotStore().delete(order_id)
    with django_assert_num_queries(2):
        assert vars(repository.load(Order, order_id)) == expected


def test_the_domain_names_the_snapshotted_stream_types(settings):
    # The settings give only N; Order, Customer and Product register themselves, StockHold does not.
    settings.EVENTSTORE_SNAPSHOT_EVERY = 50
    assert [snapshot_every(t) for t in ("Order", "Customer", "Product", "StockHold")] == [50, 50, 50, None]
    settings.EVENTSTORE_SNAPSHOT_EVERY = 0
    assert snapshot_every("Order") is None

"""The promise: under concurrent writers, every committed event is handled exactly once, in order.

8 writer threads send commands for a few seconds (many streams, some contending on the
same orders) while a projector catches up continuously in small batches. A sequence hands
out positions before commit, so without the store's commit-order guarantee the projector
would pass events that commit late and never see them.
"""

import random
import threading
import time
import uuid
from collections import Counter, defaultdict
from decimal import Decimal

import pytest
from django.db import connection, connections, transaction  # noqa: F401  `connection`: read by the skipif conditions

from commands_app.domain import commands as c
from commands_app.domain.order import OrderLine
from commands_app.framework.errors import DomainError
from commands_app.wiring import command_bus
from eventstore import operations
from eventstore.models import Event
from eventstore.store import ConcurrencyError, EventStore, NewEvent
from eventstore.subscriptions import catch_up, get_subscriber, registered_subscribers
from queries_app.models import CustomerView, OrderSummary, OrderSummaryLine

WRITERS = 8
SECONDS = 4.0

pytestmark = [
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="needs PostgreSQL"),
    pytest.mark.django_db(transaction=True),
    pytest.mark.integration,
]


def read_models() -> dict:
    return {
        "customers": sorted(CustomerView.objects.values_list("id", "name", "order_count", "total_spent")),
        "orders": sorted(
            OrderSummary.objects.values_list("id", "customer_name", "item_count", "total", "status", "version")
        ),
        "lines": sorted(OrderSummaryLine.objects.values_list("order_id", "sku", "quantity", "unit_price")),
    }


def test_concurrent_writers_and_a_continuous_projector_lose_and_repeat_nothing(recorder):
    bus = command_bus()
    customers = [uuid.uuid4() for _ in range(4)]
    for customer in customers:
        bus.dispatch(
            c.RegisterCustomer(
                customer_id=customer, name=f"C {customer.hex[:4]}", email=f"c-{customer.hex}@example.com"
            )
        )
    for sku, price in [("A", "2.50"), ("B", "0.99"), *[(f"S{n}", "1.00") for n in range(1, 6)]]:
        bus.dispatch(c.AddProduct(sku=sku, name=f"The {sku}", price=Decimal(price)))  # order lines need products
    shared_orders = [uuid.uuid4() for _ in range(3)]  # every writer adds to these: contention
    for order in shared_orders:
        bus.dispatch(c.PlaceOrder(order_id=order, customer_id=customers[0]))

    stop = threading.Event()
    outcomes: Counter = Counter()
    errors: list[BaseException] = []

    def send(rng: random.Random, slow_commit: bool) -> None:
        if not slow_commit:
            send_one(rng)
            return
        # Some transactions commit late (a slow network, more work after the append): the
        # events they hold got their positions long before rows written after them commit.
        with transaction.atomic():
            send_one(rng)
            time.sleep(rng.uniform(0, 0.02))

    def send_one(rng: random.Random) -> None:
        if rng.random() < 0.4:
            order_id, sku = rng.choice(shared_orders), f"S{rng.randint(1, 5)}"
            bus.dispatch(c.AddItem(order_id=order_id, sku=sku, quantity=1, unit_price=Decimal("1.00")))
        else:
            order = uuid.uuid4()
            line = OrderLine("A", rng.randint(1, 3), Decimal("2.50"))
            bus.dispatch(c.PlaceOrder(order_id=order, customer_id=rng.choice(customers), items=(line,)))
            bus.dispatch(c.AddItem(order_id=order, sku="B", quantity=1, unit_price=Decimal("0.99")))

    def writer(seed: int) -> None:
        rng = random.Random(seed)
        try:
            while not stop.is_set():
                try:
                    send(rng, slow_commit=seed < 3)
                    outcomes["ok"] += 1
                except ConcurrencyError:
                    outcomes["conflict"] += 1
                except DomainError:
                    outcomes["refused"] += 1
        except BaseException as error:  # surfaced below, not swallowed
            errors.append(error)
        finally:
            connections.close_all()

    def projector() -> None:
        try:
            while not stop.is_set():
                for subscriber in registered_subscribers():
                    catch_up(subscriber, batch_size=7)
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(WRITERS)]
    threads.append(threading.Thread(target=projector))
    for thread in threads:
        thread.start()
    time.sleep(SECONDS)
    stop.set()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    for subscriber in registered_subscribers():
        catch_up(subscriber, batch_size=7)

    committed = list(Event.objects.order_by("position").values_list("event_id", "stream_id", "version"))
    seen = Counter(event.event_id for event in recorder.handled)
    duplicates = [event_id for event_id, n in seen.items() if n > 1]
    skipped = [event_id for event_id, *_ in committed if event_id not in seen]
    print(
        f"\nwriters={WRITERS} seconds={SECONDS} commands={dict(outcomes)} events_written={len(committed)} "
        f"handled={sum(seen.values())} duplicates={len(duplicates)} skipped={len(skipped)}"
    )
    assert outcomes["ok"] > 100 and outcomes["conflict"] > 0  # it really was concurrent and contended
    assert duplicates == [] and skipped == []
    assert len(seen) == len(committed)

    versions_seen = defaultdict(list)
    for event in recorder.handled:
        versions_seen[event.stream_id].append(event.version)
    assert all(versions == sorted(versions) for versions in versions_seen.values())

    incremental = read_models()
    for name in ("customer_view", "order_summary"):
        operations.rebuild(get_subscriber(name))
    assert read_models() == incremental


def test_an_event_that_commits_late_is_not_passed_by_the_projector(recorder):
    """The race, step by step: T1 takes a position, T2 a later one and commits first."""
    store = EventStore()
    t1_appended, t1_may_commit = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def slow_writer() -> None:
        try:
            with transaction.atomic():
                store.append("late", "Test", [NewEvent("TestHappened", {"n": "late"})], expected_version=0)
                t1_appended.set()
                t1_may_commit.wait(10)
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    def fast_writer() -> None:
        try:
            store.append("early", "Test", [NewEvent("TestHappened", {"n": "early"})], expected_version=0)
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    t1 = threading.Thread(target=slow_writer)
    t1.start()
    assert t1_appended.wait(10)
    t2 = threading.Thread(target=fast_writer)
    t2.start()
    t2.join(0.5)  # T2 commits now, or waits for T1 (the store's commit-order guarantee)
    catch_up(get_subscriber("test_recorder"))  # a projector runs while T1 is still open
    t1_may_commit.set()
    t1.join(10)
    t2.join(10)
    assert not errors, errors
    catch_up(get_subscriber("test_recorder"))

    assert sorted(e.data["n"] for e in recorder.handled) == ["early", "late"]

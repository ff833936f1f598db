"""The log's order under concurrent writers, without a lock from insert to commit.

Positions are assigned at commit (`eventstore.store`), so:
- every stream reaches a subscriber as versions 1, 2, 3 … with none missing or out of
  order, even when a transaction wrote something (an idempotency claim, the saga's earlier
  commands of a batch) before it loaded the stream it appends to;
- a transaction that stays open after its append blocks no other writer, delays nobody's
  events, and its own events are seen once it commits, never skipped.

Each of these fails when positions are handed out at insert instead (checked by dropping
the numbering trigger and giving the column its sequence as default).
"""

import random
import threading
import time
import uuid
from collections import Counter, defaultdict
from decimal import Decimal

import pytest
from django.db import connection, connections, transaction  # noqa: F401  `connection`: read by the skipif

from commands_app.domain import commands as c
from commands_app.domain.order import OrderLine
from commands_app.framework.bus import CommandContext, IdempotencyKey
from commands_app.framework.errors import DomainError
from commands_app.wiring import command_bus
from eventstore.models import Event
from eventstore.store import ConcurrencyError, EventStore, NewEvent
from eventstore.subscriptions import catch_up, get_subscriber
from tests.sagas.shop import customer, product

pytestmark = [
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="needs PostgreSQL"),
    pytest.mark.django_db(transaction=True),
    pytest.mark.integration,
]

WRITERS = 8
SECONDS = 4.0
SKUS = ["P1", "P2", "P3"]


class StreamOrderChecker:
    """Follows what the recorder was handed and finds every stream whose versions are not 1, 2, 3 …"""

    def __init__(self) -> None:
        self.last: dict[str, int] = defaultdict(int)
        self.broken: list[str] = []

    def check(self, events) -> None:
        for event in events:
            if event.version != self.last[event.stream_id] + 1:
                self.broken.append(f"{event.stream_id}: v{event.version} after v{self.last[event.stream_id]}")
            self.last[event.stream_id] = event.version


def test_every_stream_arrives_in_version_order_under_writers_saga_and_idempotent_retries(recorder, settings):
    settings.COMMAND_RETRY_MAX_ATTEMPTS = 50  # contended on purpose: conflicts retry, they must not fail
    bus = command_bus()
    customers = [customer() for _ in range(3)]
    for sku in SKUS:
        product(sku, on_hand=100_000)
    shared_orders = [uuid.uuid4() for _ in range(3)]
    for order in shared_orders:
        bus.dispatch(c.PlaceOrder(order_id=order, customer_id=customers[0]))

    stop = threading.Event()
    outcomes: Counter = Counter()
    errors: list[BaseException] = []

    def keyed(rng: random.Random, command) -> None:
        """A command under an Idempotency-Key (its claim is written before the stream is loaded), sent twice."""
        context = CommandContext(user="writer", idempotency=IdempotencyKey("writer", uuid.uuid4().hex, "fp"))
        first = bus.dispatch(command, context)
        again = bus.dispatch(command, context)
        assert again.replayed and again.position == first.position
        # Numbered at commit: known at once to the transaction's owner, not inside a caller's transaction.
        assert (first.position is None) == connection.in_atomic_block

    def send_one(rng: random.Random) -> None:
        roll = rng.random()
        if roll < 0.35:
            order_id = rng.choice(shared_orders)
            bus.dispatch(c.AddItem(order_id=order_id, sku=rng.choice(SKUS), quantity=1, unit_price=Decimal("2.50")))
        elif roll < 0.6:
            line = OrderLine(rng.choice(SKUS), rng.randint(1, 3), Decimal("2.50"))
            keyed(rng, c.PlaceOrder(order_id=uuid.uuid4(), customer_id=rng.choice(customers), items=(line,)))
        elif roll < 0.8:
            keyed(rng, c.RestockProduct(sku=rng.choice(SKUS), quantity=1))
        else:
            # Several commands in one transaction: the later ones load after the first one wrote.
            with transaction.atomic():
                order_id = uuid.uuid4()
                bus.dispatch(c.PlaceOrder(order_id=order_id, customer_id=rng.choice(customers)))
                bus.dispatch(c.AddItem(order_id=order_id, sku=rng.choice(SKUS), quantity=1, unit_price=Decimal("2.50")))
                bus.dispatch(c.RestockProduct(sku=rng.choice(SKUS), quantity=1))
                time.sleep(rng.uniform(0, 0.01))

    def send_late(rng: random.Random) -> None:
        """Appends, then commits late: its event's place was decided long before rows written after it commit."""
        with transaction.atomic():
            send_one(rng)
            time.sleep(rng.uniform(0.005, 0.03))

    def writer(seed: int) -> None:
        rng = random.Random(seed)
        try:
            while not stop.is_set():
                try:
                    (send_late if seed < 3 else send_one)(rng)
                    outcomes["ok"] += 1
                except ConcurrencyError:
                    outcomes["conflict"] += 1  # a batch of several commands is not retried
                except DomainError:
                    outcomes["refused"] += 1
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    checker = StreamOrderChecker()

    def follow(name: str, batch_size: int) -> None:
        try:
            while not stop.is_set():
                seen = len(recorder.handled)
                catch_up(get_subscriber(name), batch_size)
                if name == recorder.name:
                    checker.check(recorder.handled[seen:])
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(WRITERS)]
    # The saga appends inside its batch's transaction, after loading what earlier steps wrote.
    threads.append(threading.Thread(target=follow, args=("order_fulfilment", 5)))
    threads.append(threading.Thread(target=follow, args=("test_recorder", 7)))
    for thread in threads:
        thread.start()
    time.sleep(SECONDS)
    stop.set()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    for _ in range(100):  # until the saga has nothing left to react to
        saga_handled = catch_up(get_subscriber("order_fulfilment"))
        seen = len(recorder.handled)
        catch_up(get_subscriber("test_recorder"))
        checker.check(recorder.handled[seen:])
        if not saga_handled and len(recorder.handled) == seen:
            break

    committed = dict(Event.objects.values_list("event_id", "stream_id"))
    saga_events = Event.objects.filter(metadata__user="saga:order-fulfilment").count()
    print(f"\ncommands={dict(outcomes)} events={len(committed)} by the saga={saga_events}")
    assert outcomes["ok"] > 50 and saga_events > 0  # it really ran, saga included
    assert checker.broken == []
    handled = Counter(event.event_id for event in recorder.handled)
    assert set(handled) == set(committed) and max(handled.values()) == 1
    for stream_id, version in Event.objects.values_list("stream_id", "version"):
        assert checker.last[stream_id] >= version


def test_an_open_transaction_blocks_no_writer_and_its_events_are_seen_once_it_commits(recorder):
    """A long writing transaction elsewhere: others commit past it, subscribers wait for nothing and skip nothing."""
    store = EventStore()
    appended, may_commit = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def long_transaction() -> None:
        try:
            with transaction.atomic():
                store.append("long", "Test", [NewEvent("TestHappened", {"n": "long"})], expected_version=0)
                appended.set()
                may_commit.wait(30)
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    def other_writer(n: int, done: threading.Event) -> None:
        try:
            store.append(f"other-{n}", "Test", [NewEvent("TestHappened", {"n": n})], expected_version=0)
            done.set()
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    long = threading.Thread(target=long_transaction)
    long.start()
    assert appended.wait(10)
    for n in range(5):
        done = threading.Event()
        threading.Thread(target=other_writer, args=(n, done)).start()
        # Committed while the long transaction is still open: no writer queues behind it.
        assert done.wait(10), f"writer {n} waited for the open transaction"
    catch_up(get_subscriber("test_recorder"))
    assert sorted(e.data["n"] for e in recorder.handled) == [0, 1, 2, 3, 4]

    may_commit.set()
    long.join(10)
    assert not errors, errors
    catch_up(get_subscriber("test_recorder"))
    assert [e.data["n"] for e in recorder.handled] == [0, 1, 2, 3, 4, "long"]
    assert Event.objects.get(stream_id="long").position > Event.objects.get(stream_id="other-4").position

"""Faults with real processes: the broker down during a command, a worker killed mid-batch."""

import os
import signal
import subprocess
import sys
import uuid

import pytest
from django.db import connections, router

from eventstore.models import Checkpoint, Event
from eventstore.store import EventStore
from queries_app.models import CustomerView, OrderSummary
from tests.conftest import REPO_ROOT, running_worker, wait_until, worker_env

pytestmark = [pytest.mark.worker, pytest.mark.integration]

PROJECTION_NAMES = ("customer_view", "order_summary")
PROJECTIONS = (
    "queries_app.projections.customer_view.CustomerViewProjection,"
    "queries_app.projections.order_summary.OrderSummaryProjection"
)

DISPATCH_ONE_COMMAND = """
import uuid, django
django.setup()
from commands_app.domain.commands import RegisterCustomer
from commands_app.wiring import command_bus
result = command_bus().dispatch(RegisterCustomer(customer_id=uuid.UUID("{id}"), name="Offline", email="o@example.com"))
print("POSITION", result.position)
"""


def test_a_command_succeeds_while_the_broker_is_down_and_the_sweep_catches_up(live_db, tmp_path_factory):
    customer = uuid.uuid4()
    # Nothing listens on port 9: every publish is refused.
    env = worker_env(CELERY_BROKER_URL="redis://127.0.0.1:9/0", DJANGO_SETTINGS_MODULE="config.settings")
    run = subprocess.run(
        [sys.executable, "-c", DISPATCH_ONE_COMMAND.format(id=customer)],
        env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip

    assert run.returncode == 0, run.stderr
    assert "POSITION" in run.stdout
    assert "could not enqueue the subscriber wake-up" in run.stderr  # logged, not raised
    assert Event.objects.filter(stream_id=str(customer)).count() == 1
    assert not CustomerView.objects.filter(id=customer).exists()

    with running_worker(tmp_path_factory.mktemp("worker")):  # the broker is back
        wait_until(lambda: CustomerView.objects.filter(id=customer).exists(), message="the sweep to catch up")


def write_backlog(orders: int) -> str:
    """One customer and `orders` placed orders, written in bulk with no wake-up sent."""
    customer = str(uuid.uuid4())
    Event.objects.create(
        stream_type="Customer", stream_id=customer, version=1, event_type="CustomerRegistered",
        data={"name": "Backlog", "email": "b@example.com"},
    )  # fmt: skip
    lines = [{"sku": "A", "quantity": 2, "unit_price": "1.25"}, {"sku": "B", "quantity": 1, "unit_price": "0.50"}]
    for start in range(0, orders, 1000):
        Event.objects.bulk_create(
            Event(stream_type="Order", stream_id=str(uuid.uuid4()), version=1, event_type="OrderPlaced",
                  data={"customer_id": customer, "lines": lines})
            for _ in range(start, min(orders, start + 1000))
        )  # fmt: skip
    return customer


def writing_read_models_now() -> bool:
    """A worker's open transaction has already written OrderSummary rows (and has not committed)."""
    # pg_locks covers every database of the server; the table is in the read models' database.
    with connections[router.db_for_write(OrderSummary)].cursor() as cursor:
        cursor.execute(
            """SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
               WHERE c.relname = 'queries_app_ordersummary' AND l.mode = 'RowExclusiveLock'
                 AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                 AND l.pid <> pg_backend_pid()"""
        )
        return cursor.fetchone()[0] > 0


def assert_read_models_match_checkpoints(customer: str) -> None:
    """Each read model holds exactly the effects of the events up to its checkpoint, no partial batch."""
    checkpoints = dict(Checkpoint.objects.values_list("name", "position"))
    placed = Event.objects.filter(event_type="OrderPlaced")
    assert OrderSummary.objects.count() == placed.filter(position__lte=checkpoints.get("order_summary", 0)).count()
    expected_orders = placed.filter(position__lte=checkpoints.get("customer_view", 0)).count()
    view = CustomerView.objects.filter(id=customer).first()
    assert (view.order_count if view else 0) == expected_orders


def test_a_worker_killed_mid_batch_writes_nothing_partial_and_a_new_one_catches_up(live_db, tmp_path_factory):
    customer = write_backlog(6000)
    head = EventStore().head()
    workdir = tmp_path_factory.mktemp("worker")

    # The projections alone: the saga would cancel all 6000 orders (A and B are no products),
    # which is not what this test is about (tests/e2e/test_saga_worker.py kills a saga mid-way).
    with running_worker(workdir, EVENTSTORE_BATCH_SIZE="1000", EVENTSTORE_SUBSCRIBERS=PROJECTIONS) as worker:
        wait_until(writing_read_models_now, timeout=60, interval=0.01, message="a batch in flight")
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(10)

    killed_at = Checkpoint.objects.get(name="order_summary").position
    assert killed_at < head  # it really died with work left
    assert_read_models_match_checkpoints(customer)

    with running_worker(workdir, EVENTSTORE_SUBSCRIBERS=PROJECTIONS):
        wait_until(
            lambda: set(Checkpoint.objects.filter(name__in=PROJECTION_NAMES).values_list("position", flat=True))
            == {head},
            timeout=120, message="the restarted worker to reach the head",
        )  # fmt: skip
    assert_read_models_match_checkpoints(customer)
    assert OrderSummary.objects.count() == 6000
    view = CustomerView.objects.get(id=customer)
    assert (view.order_count, str(view.total_spent)) == (6000, "18000.00")

"""Blue/green rebuilds under load, and killed mid-way: PostgreSQL, a real worker process, real commits.

The log is loaded with COPY (bench/dataset.py); `BLUE_GREEN_EVENTS` sets its size (50,000 by
default, as issue #11 asks). Readers and writers go through the HTTP API in threads while the
rebuild runs; a real Celery worker keeps the live generation caught up meanwhile.
"""

import os
import signal
import subprocess
import sys
import threading
import time
import uuid

import pytest
from django.db import connection, connections
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from bench.dataset import copy_rows, mixed_log
from eventstore import operations
from eventstore.models import Checkpoint, Rebuild
from eventstore.routers import subscription_db
from eventstore.store import EventStore
from eventstore.subscriptions import catch_up, get_subscriber, registered_subscribers
from queries_app.models import OrderSummary, OrderSummaryLine
from tests.api.helpers import register_customer, stock
from tests.conftest import REPO_ROOT, running_worker, wait_until, worker_env
from tests.factories import CommandSenderFactory

pytestmark = [pytest.mark.worker, pytest.mark.integration]

EVENTS = int(os.environ.get("BLUE_GREEN_EVENTS", "50000"))
OLD = "OLD "  # marks the live generation's rows, so an answer shows which generation it came from


def client() -> APIClient:
    user = CommandSenderFactory.create(username=f"bg-{uuid.uuid4().hex[:6]}")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return api


def snapshot() -> list[tuple]:
    orders = OrderSummary.objects.order_by("id").values_list("id", "customer_name", "item_count", "total", "status")
    lines = OrderSummaryLine.objects.order_by("order_id", "sku").values_list("order_id", "sku", "quantity")
    return [*orders, *lines]


@pytest.fixture(scope="module")
def loaded_log(live_db):
    """The log of EVENTS events, and every projection caught up on it (in this process).

    The saga is set past it: its commands for a generated history are not what is tested here.
    """
    copy_rows(mixed_log(EVENTS))
    head = EventStore().head()
    for subscriber in registered_subscribers():
        if subscriber.read_models:
            catch_up(subscriber, batch_size=2000)
        else:
            Checkpoint.objects.update_or_create(name=subscriber.name, defaults={"position": head})
    return head


def test_readers_and_writers_never_see_a_503_or_a_partial_or_mixed_table_during_a_rebuild(
    loaded_log, redis_key_prefix, tmp_path
):
    # Mark the live generation: the rebuilt one has the names the log gives.
    OrderSummary.objects.update(customer_name=OLD + "x")
    dataset_orders = OrderSummary.objects.count()
    writer_api = client()
    customer = register_customer(writer_api)
    stock(writer_api, "LAMP", 100_000)  # the writer orders a catalogue product at its price
    stop = threading.Event()
    errors: list[str] = []
    answers = {"list": 0, "detail": 0, "written": 0}
    last_position = [0]
    sample = [str(i) for i in OrderSummary.objects.order_by("id").values_list("id", flat=True)[:20]]

    def guard(work):
        def run():
            try:
                work()
            except BaseException as error:  # noqa: BLE001  any failure is the test's finding
                errors.append(f"{type(error).__name__}: {error}")
            finally:
                connections.close_all()

        return run

    @guard
    def writer():
        while not stop.is_set():
            body = {"customer_id": customer, "items": [{"sku": "LAMP", "quantity": 1, "unit_price": "9.99"}]}
            response = writer_api.post("/api/commands/place-order/", body, format="json")
            if response.status_code != 200:
                errors.append(f"write {response.status_code}: {response.content[:200]!r}")
                return
            last_position[0] = response.json()["position"]
            answers["written"] += 1

    @guard
    def list_reader():
        api, seen = client(), 0
        while not stop.is_set():
            response = api.get(f"/api/orders/?min_position={last_position[0]}&ordering=placed_at&limit=50")
            if response.status_code != 200:
                errors.append(f"list {response.status_code}: {response.content[:200]!r}")
                return
            body = response.json()
            count = body["count"]
            if count < seen or count < dataset_orders:
                errors.append(f"the order count dropped to {count} (had {seen}, the log has {dataset_orders}+)")
            seen = max(seen, count)
            marked = {row["customer_name"].startswith(OLD) for row in body["results"]}  # the oldest: the dataset's
            if len(marked) != 1:
                errors.append(f"one page mixes generations: {[r['customer_name'] for r in body['results']]}")
            answers["list"] += 1

    @guard
    def detail_reader():
        api = client()
        while not stop.is_set():
            for order_id in sample:
                response = api.get(f"/api/orders/{order_id}/")
                if response.status_code != 200:
                    errors.append(f"detail {response.status_code}: {response.content[:200]!r}")
                    return
                answers["detail"] += 1

    with running_worker(tmp_path):
        threads = [threading.Thread(target=t) for t in (writer, list_reader, list_reader, detail_reader)]
        for thread in threads:
            thread.start()
        try:
            time.sleep(0.5)
            result = operations.rebuild(get_subscriber("order_summary"))
            time.sleep(0.5)  # readers go on after the swap
        finally:
            stop.set()
            for thread in threads:
                thread.join(30)
    assert not errors, errors[:5]
    assert result.events >= EVENTS * 0.9 and answers["written"] > 0 and answers["list"] > 10
    # Once swapped, every row is the new generation's, and every order written meanwhile is there.
    assert not OrderSummary.objects.filter(customer_name__startswith=OLD).exists()
    catch_up(get_subscriber("order_summary"))
    assert OrderSummary.objects.count() == dataset_orders + answers["written"]
    assert Rebuild.objects.get(name="order_summary").state == "done"
    print(f"\nrebuild of {result.events:,} events: {result.events_per_second:,.0f} events/s; answers {answers}")


def test_a_rebuild_killed_mid_way_leaves_the_live_generation_untouched_and_a_rerun_resumes(loaded_log):
    subscriber = get_subscriber("order_summary")
    catch_up(subscriber)
    live = snapshot()
    live_position = Checkpoint.objects.get(name="order_summary").position
    command = [sys.executable, "manage.py", "rebuild_projections", "order_summary", "--batch-size", "200"]
    process = subprocess.Popen(command, env=worker_env(), cwd=REPO_ROOT, stdout=subprocess.DEVNULL)
    try:
        mid_way = wait_until(
            lambda: Rebuild.objects.filter(name="order_summary", state="building", position__gt=EVENTS // 5).first(),
            timeout=120,
            interval=0.01,
            message="the rebuild to pass a fifth of the log",
        )
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    finally:
        if process.poll() is None:
            process.kill()
    killed_at = Rebuild.objects.get(name="order_summary")
    assert killed_at.state == "building" and killed_at.position >= mid_way.position
    assert killed_at.position < loaded_log  # it died before the end
    # The live generation is as it was, and its status says the rebuild was interrupted.
    assert snapshot() == live
    assert Checkpoint.objects.get(name="order_summary").position == live_position
    status = next(s for s in operations.subscriber_statuses() if s.name == "order_summary")
    assert (status.state, status.rebuild.state) == ("running", "interrupted")

    result = operations.rebuild(subscriber, batch_size=2000)

    assert result.resumed_from == killed_at.position > 0  # not from scratch
    assert snapshot() == live  # equal to a from-scratch build of the same log
    with connections[subscription_db()].cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = 'rebuild_order_summary'")
        assert cursor.fetchone() is None
    assert connection.vendor == "postgresql"

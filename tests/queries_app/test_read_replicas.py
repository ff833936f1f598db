"""Queries on real hot standbys of the read database (READ_REPLICA_URLS), never a mock.

`bash scripts/read-replica-pair.sh start` makes the pair (a read primary on :5433 streaming to a
standby on :5434); the second pass of `make test` starts it and points READ_DATABASE_URL and
READ_REPLICA_URLS at it. The test database is created on the primary and reaches the standby by
replication. Lag is made on purpose by pausing the standby's replay (`pg_wal_replay_pause()`).
"""

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import connections

from eventstore import replicas
from eventstore.routers import subscription_db
from queries_app.models import CustomerView, OrderSummary
from tests.api.helpers import command, in_catalogue, project, register_customer
from tests.conftest import wait_until

REPLICA = "read_replica_1"

pytestmark = [
    pytest.mark.integration,
    pytest.mark.read_replicas,
    pytest.mark.django_db(transaction=True),  # the standby sees committed rows only
    pytest.mark.skipif(
        f"'{REPLICA}' not in connections.settings",
        reason="needs READ_REPLICA_URLS, a hot standby of READ_DATABASE_URL "
        "(`bash scripts/read-replica-pair.sh start`; the second pass of `make test` sets both)",
    ),
]

ORDER = [{"sku": "A", "quantity": 2, "unit_price": "3.00"}]


@pytest.fixture(autouse=True)
def timeouts(settings):
    settings.READ_YOUR_WRITES_TIMEOUT_SECONDS = 0.5
    settings.READ_REPLICA_WAIT_SECONDS = 0.1


def one_value(alias: str, sql: str):
    with connections[alias].cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


def replica_caught_up() -> bool:
    head = one_value("read", "SELECT pg_current_wal_lsn()")
    return one_value(REPLICA, f"SELECT pg_wal_lsn_diff(pg_last_wal_replay_lsn(), '{head}') >= 0")


@contextmanager
def replay_paused() -> Iterator[None]:
    """The standby stops applying WAL (it still receives it) until the block ends."""
    wait_until(replica_caught_up, 10, message="the replica to catch up before the pause")
    one_value(REPLICA, "SELECT pg_wal_replay_pause()::text")
    try:
        wait_until(lambda: one_value(REPLICA, "SELECT pg_get_wal_replay_pause_state()") == "paused", 5)
        yield
    finally:
        one_value(REPLICA, "SELECT pg_wal_replay_resume()::text")


def placed(api) -> dict:
    """A customer with one order, projected on the read primary: the command's response body."""
    customer = register_customer(api)
    in_catalogue(api, ORDER)  # a line's sku must be a product, at its price
    response = command(api, "place-order", customer_id=customer, items=ORDER)
    assert response.status_code == 200, response.json()
    project()
    return response.json()


def test_the_replica_is_a_hot_standby_replaying_the_read_databases_test_database():
    assert one_value(REPLICA, "SELECT pg_is_in_recovery()") is True
    assert one_value("read", "SELECT pg_is_in_recovery()") is False
    assert one_value(REPLICA, "SELECT current_database()") == connections["read"].settings_dict["NAME"]
    assert one_value("read", "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'") >= 1


def test_queries_are_answered_by_the_replica_while_projections_write_to_the_primary(api):
    assert subscription_db() == "read"
    order = placed(api)
    wait_until(replica_caught_up, 10, message="the replica to replay the projection")

    listed = api.get("/api/customers/")
    assert listed.status_code == 200 and listed["X-Read-Database"] == REPLICA
    assert listed.json()["results"][0]["order_count"] == 1
    detail = api.get(f"/api/orders/{order['aggregate_id']}/")
    assert detail["X-Read-Database"] == REPLICA
    assert detail.json()["total"] == "6.00" and len(detail.json()["lines"]) == 1  # prefetched from the replica too
    assert OrderSummary.objects.using(REPLICA).count() == 1


def test_min_position_on_a_paused_replica_is_answered_by_the_primary_never_stale(api):
    with replay_paused():
        order = placed(api)
        # The replica really is behind: it has none of it yet.
        assert not OrderSummary.objects.using(REPLICA).filter(id=order["aggregate_id"]).exists()

        read = api.get(f"/api/orders/{order['aggregate_id']}/?min_position={order['position']}")
        assert read.status_code == 200, read.json()
        assert read["X-Read-Database"] == "read" and read.json()["total"] == "6.00"
        assert int(read["X-Projection-Position"]) >= order["position"]

        listed = api.get(f"/api/customers/?min_position={order['position']}")
        assert listed.status_code == 200 and listed["X-Read-Database"] == "read"
        assert listed.json()["results"][0]["order_count"] == 1

        # Not projected anywhere yet: the contract's 503, not a 200 without the write.
        another = command(api, "register-customer", name="Bob", email="bob@example.com").json()
        behind = api.get(f"/api/customers/?min_position={another['position']}")
        assert behind.status_code == 503 and "customer_view is at position" in behind.json()["detail"]

        # Without min_position the lagging replica answers (eventually consistent, as documented).
        stale = api.get("/api/orders/")
        assert stale["X-Read-Database"] == REPLICA and stale.json()["count"] == 0

    wait_until(replica_caught_up, 10, message="the replica to resume")
    again = api.get(f"/api/orders/{order['aggregate_id']}/?min_position={order['position']}")
    assert again.status_code == 200 and again["X-Read-Database"] == REPLICA
    assert again.json()["total"] == "6.00"


def test_min_position_waits_briefly_for_a_replica_that_catches_up(api, settings):
    settings.READ_REPLICA_WAIT_SECONDS = 5
    with replay_paused():
        order = placed(api)
        resume = threading.Timer(0.3, lambda: one_value(REPLICA, "SELECT pg_wal_replay_resume()::text"))
        resume.start()
        try:
            started = time.monotonic()
            read = api.get(f"/api/orders/{order['aggregate_id']}/?min_position={order['position']}")
        finally:
            resume.join()
            connections.close_all()  # the timer's thread opened its own connection
    assert read.status_code == 200 and read["X-Read-Database"] == REPLICA
    assert read.json()["total"] == "6.00" and time.monotonic() - started >= 0.25


def test_an_unreachable_replica_is_skipped_and_the_primary_answers(api, settings):
    settings.READ_REPLICA_RETRY_SECONDS = 60
    order = placed(api)
    replica = connections[REPLICA]
    port = replica.settings_dict["PORT"]
    replica.close()
    replica.settings_dict["PORT"] = "1"  # nothing listens there
    try:
        read = api.get(f"/api/orders/{order['aggregate_id']}/?min_position={order['position']}")
        assert read.status_code == 200 and read["X-Read-Database"] == "read"
        assert read.json()["total"] == "6.00"
    finally:
        replica.close()
        replica.settings_dict["PORT"] = port
        replicas._down_until.clear()


def metric(body: str, name: str, **labels: str) -> float:
    selector = ",".join(f'{key}="{value}"' for key, value in labels.items())
    found = re.search(rf"^{name}{{{selector}}} (\S+)$", body, re.MULTILINE)
    assert found, f"{name}{{{selector}}} not in /metrics"
    return float(found.group(1))


def test_replica_lag_shows_in_metrics_and_healthz(api, staff_client):
    placed(api)
    wait_until(replica_caught_up, 10, message="the replica to catch up")
    with replay_paused():
        command(api, "register-customer", name="Bob", email="bob@example.com")
        project()
        body = staff_client.get("/metrics").content.decode()
        assert metric(body, "cqrs_read_replica_up", replica=REPLICA) == 1
        assert metric(body, "cqrs_read_replica_replay_paused", replica=REPLICA) == 1
        assert metric(body, "cqrs_read_replica_lag_bytes", replica=REPLICA) > 0
        assert metric(body, "cqrs_read_replica_lag_events", replica=REPLICA, subscriber="customer_view") >= 1

        health = staff_client.get("/healthz").json()["checks"]["replicas"]["replicas"][REPLICA]
        assert health["up"] and health["replay_paused"] and health["lag_events"]["customer_view"] >= 1
    wait_until(replica_caught_up, 10, message="the replica to resume")
    assert CustomerView.objects.using(REPLICA).count() == 2
    body = staff_client.get("/metrics").content.decode()
    assert metric(body, "cqrs_read_replica_lag_events", replica=REPLICA, subscriber="customer_view") == 0

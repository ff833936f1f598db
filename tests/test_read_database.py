"""A separate read database: read models and checkpoints in `read`, the event store and the rest in `default`.

The router's decisions are checked in every run. The rest needs `READ_DATABASE_URL`, which
the second pass of `make test` sets (it runs the `integration` tests with two databases).
"""

import json
import os
import subprocess
import sys

import pytest
from django.apps import apps
from django.db import connections, router
from django.test import Client

from eventstore.models import Checkpoint, Event, Rebuild, SkippedEvent
from eventstore.routers import ReadDatabaseRouter, subscription_db
from eventstore.store import EventStore
from eventstore.subscriptions import registered_subscribers
from queries_app.models import OrderSummary
from tests.api.helpers import command, place_order, project, register_customer, stock
from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.integration

two_databases = pytest.mark.skipif(
    "'read' not in connections.settings", reason="needs READ_DATABASE_URL (the second pass of `make test` sets it)"
)

READ_SIDE = {Checkpoint, SkippedEvent, Rebuild, *apps.get_app_config("queries_app").get_models()}


def test_the_router_sends_the_read_side_to_read_and_every_other_model_to_default():
    routes = ReadDatabaseRouter()
    for model in apps.get_models():
        expected = "read" if model in READ_SIDE else "default"
        assert routes.db_for_read(model) == routes.db_for_write(model) == expected, model
    # What a user relies on by name: the log, users, tokens and sessions stay with the writes.
    assert {routes.db_for_write(apps.get_model(m)) for m in ("eventstore.Event", "eventstore.Snapshot")} == {"default"}
    assert {routes.db_for_write(apps.get_model(m)) for m in ("auth.User", "authtoken.Token", "sessions.Session")} == {
        "default"
    }


def test_migrate_builds_each_table_in_one_database_only():
    routes = ReadDatabaseRouter()
    assert routes.allow_migrate("read", "queries_app", "ordersummary") is True
    assert routes.allow_migrate("default", "queries_app", "ordersummary") is False
    assert routes.allow_migrate("read", "eventstore", "checkpoint") is True
    assert routes.allow_migrate("default", "eventstore", "checkpoint") is False
    # The immutability trigger (hinted with the event table) and anything unnamed in eventstore.
    for model_name in ("event", None):
        assert routes.allow_migrate("default", "eventstore", model_name) is True
        assert routes.allow_migrate("read", "eventstore", model_name) is False
    for app_label in ("auth", "contenttypes", "sessions", "admin", "authtoken", "commands_app"):
        assert routes.allow_migrate("default", app_label) is True
        assert routes.allow_migrate("read", app_label) is False
    assert routes.allow_migrate("reports", "queries_app", "ordersummary") is None  # not this router's database


def settings_with(**env: str) -> dict:
    """DATABASES and DATABASE_ROUTERS as a fresh process builds them from this environment."""
    script = (
        "import json, django; from django.conf import settings; django.setup(); "
        "print(json.dumps({'databases': {a: {'NAME': d['NAME'], 'TEST': d['TEST'].get('NAME')} "
        "for a, d in settings.DATABASES.items() if not d['TEST'].get('MIRROR')}, "
        "'routers': settings.DATABASE_ROUTERS, "
        "'replicas': {a: [d['PORT'], d['TEST']['MIRROR']] for a, d in settings.DATABASES.items() "
        "if d['TEST'].get('MIRROR')}}))"
    )
    done = run_settings(script, **env)
    assert done.returncode == 0, done.stderr.decode()
    return json.loads(done.stdout)


def run_settings(script: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in ("READ_DATABASE_URL", "READ_REPLICA_URLS")}
    environment.update(DJANGO_SETTINGS_MODULE="config.settings", SECRET_KEY="x", **env)
    return subprocess.run([sys.executable, "-c", script], env=environment, cwd=REPO_ROOT, capture_output=True)


def test_read_replica_urls_add_one_alias_each_that_mirrors_the_read_database_under_test():
    url = "postgres://postgres@127.0.0.1:"
    replicas = f"{url}5434/shop_read, {url}5435/shop_read"
    found = settings_with(
        DATABASE_URL=url + "5432/shop", READ_DATABASE_URL=url + "5433/shop_read", READ_REPLICA_URLS=replicas
    )
    assert found["replicas"] == {"read_replica_1": [5434, "read"], "read_replica_2": [5435, "read"]}
    assert set(found["databases"]) == {"default", "read"}


def test_read_replica_urls_without_a_read_database_is_refused_with_how_to_fix_it():
    done = run_settings("import django; django.setup()", READ_REPLICA_URLS="postgres://postgres@127.0.0.1:5434/x")
    assert done.returncode != 0
    assert (
        "READ_REPLICA_URLS names replicas of the read database, but READ_DATABASE_URL is not set"
        in done.stderr.decode()
    )


def test_read_database_url_adds_the_read_database_and_the_router():
    url = "postgres://postgres@127.0.0.1:5432/"
    one = settings_with(DATABASE_URL=url + "shop", TEST_DATABASE_NAME="test_shop")
    assert one == {"databases": {"default": {"NAME": "shop", "TEST": "test_shop"}}, "routers": [], "replicas": {}}
    two = settings_with(DATABASE_URL=url + "shop", READ_DATABASE_URL=url + "shop_read", TEST_DATABASE_NAME="test_shop")
    assert two["databases"]["read"] == {"NAME": "shop_read", "TEST": "test_shop_read"}  # never the default's
    assert two["routers"] == ["eventstore.routers.ReadDatabaseRouter"]


def tables(alias: str) -> set[str]:
    return set(connections[alias].introspection.table_names())


@two_databases
@pytest.mark.django_db
def test_every_table_exists_only_in_the_database_the_router_names():
    default, read = tables("default"), tables("read")
    for model in apps.get_models():
        if not model._meta.managed:
            continue  # no table anywhere (e.g. CommandAccess, which only carries a permission)
        home = router.db_for_write(model)
        other = read if home == "default" else default
        assert model._meta.db_table in (default if home == "default" else read), model
        assert model._meta.db_table not in other, model
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_trigger WHERE tgname = 'eventstore_event_immutable'")
        assert cursor.fetchone()[0] == 1  # the log is still append-only


def count(alias: str, table: str, where: str = "TRUE") -> int:
    with connections[alias].cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table} WHERE {where}")
        return cursor.fetchone()[0]


@two_databases
@pytest.mark.django_db
def test_projections_write_read_models_and_checkpoints_to_the_read_database_and_events_stay_in_default(api):
    assert subscription_db() == "read"
    stock(api, "WIDGET", 10)  # so the saga confirms the orders rather than cancelling them
    customer = register_customer(api)
    place_order(api, customer)
    place_order(api, customer)
    project()  # the projections and the saga, until none has anything left

    head = EventStore().head()
    assert count("default", Event._meta.db_table, "event_type = 'OrderPlaced'") == 2
    assert count("read", OrderSummary._meta.db_table) == 2
    assert count("read", "queries_app_customerview", f"id = '{customer}' AND order_count = 2") == 1
    names = {s.name for s in registered_subscribers()}
    assert count("read", Checkpoint._meta.db_table, f"position = {head}") == len(names)
    body = api.get(f"/api/customers/{customer}/").json()
    assert (body["order_count"], body["total_spent"]) == (2, "39.96")


@two_databases
def test_healthz_names_an_unreachable_read_database(django_db_blocker, monkeypatch, settings):
    settings.HEALTHZ_TOKEN = "probe"
    read = connections["read"]
    with django_db_blocker.unblock():
        read.close()
        monkeypatch.setitem(read.settings_dict, "PORT", "1")  # a real connection attempt where nothing listens
        try:
            response = Client().get("/healthz", HTTP_AUTHORIZATION="Bearer probe")
        finally:
            read.close()
    body = response.json()
    assert response.status_code == 503
    assert "database" in body["failing"]
    assert body["checks"]["database"]["database"] == "read"
    assert body["checks"]["projections"] == {"ok": False, "error": "database unreachable"}


# Last in the module: the worker and its autocommit database live until the module ends.
@two_databases
def test_a_command_reaches_the_query_api_through_a_worker_with_two_databases(live_api, settings):
    settings.HEALTHZ_TOKEN = "probe"
    stock(live_api, "WIDGET", 10)
    stock(live_api, "LAMP", 10, price="20.02")
    customer = register_customer(live_api)
    order = place_order(live_api, customer)
    added = command(live_api, "add-item", order_id=order, sku="LAMP", quantity=1, unit_price="20.02").json()

    read = live_api.get(f"/api/orders/{order}/?min_position={added['position']}")
    assert read.status_code == 200, read.content
    assert (read.json()["item_count"], read.json()["total"]) == (3, "40.00")
    assert int(read["X-Projection-Position"]) >= added["position"]
    # The worker wrote the row into the read database, beside its checkpoint; the log is in default.
    assert count("read", OrderSummary._meta.db_table, f"id = '{order}' AND version >= 2") == 1
    written = f"stream_id = '{order}' AND event_type IN ('OrderPlaced', 'ItemAdded')"  # the saga may add more
    assert count("default", Event._meta.db_table, written) == 2
    health = Client().get("/healthz", HTTP_AUTHORIZATION="Bearer probe").json()
    assert health["checks"]["database"]["databases"] == ["default", "read"]

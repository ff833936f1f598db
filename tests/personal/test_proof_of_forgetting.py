"""The proof: after forgetting, neither the name nor the email is anywhere the service stores or logs.

A customer with a unique name and email registers (with an Idempotency-Key), updates, places
orders, is snapshotted, seen in the admin; every subscriber runs. Then both databases are
dumped with `pg_dump` and Redis is read key by key (queues decoded), with the service's logs:
before forgetting, the strings are only in read-model tables (rebuildable, and scrubbed on
forgetting), never in the event, snapshot or key tables; after forgetting, nowhere at all.
"""

import base64
import json
import logging
import re
import subprocess
import uuid
from typing import Any

import pytest
import redis
from django.db import connections

from config.celery import app as celery_app
from eventstore.models import Event
from tests.api.helpers import command, place_order, project, stock
from tests.conftest import database_url, uses_redis
from tests.personal.helpers import forgetter_api

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]

READ_MODEL_TABLES = {"queries_app_customerview", "queries_app_ordersummary", "queries_app_ordercustomername"}
COPY_START = re.compile(r"^COPY public\.(\w+) ")


def dump_tables() -> dict[str, str]:
    """Every table's rows, as `pg_dump` writes them, of every database the service uses."""
    tables: dict[str, str] = {}
    for alias in connections:
        dumped = subprocess.run(
            ["pg_dump", "--data-only", database_url(connections[alias].settings_dict)],
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        ).stdout
        table = None
        for line in dumped.splitlines():
            if table is None:
                match = COPY_START.match(line)
                table = match.group(1) if match else None
                continue
            if line == "\\.":
                table = None
                continue
            tables[table] = tables.get(table, "") + line + "\n"
    return tables


def redis_text() -> str:
    """Every value under this run's keys, with Celery/kombu message bodies decoded from base64."""
    if not uses_redis():
        return ""
    # redis-py types every answer as bytes or str; without decode_responses they are bytes.
    client: Any = redis.Redis.from_url(celery_app.conf.broker_url)
    values: list[Any] = []  # bytes: the client does not decode responses
    for key in client.scan_iter(count=1000):
        kind = client.type(key).decode()
        if kind == "string":
            values.append(client.get(key) or b"")
        elif kind == "list":
            values += client.lrange(key, 0, -1)
        elif kind == "hash":
            values += [k + b"=" + v for k, v in client.hgetall(key).items()]
        elif kind == "set":
            values += list(client.smembers(key))
        elif kind == "zset":
            values += client.zrange(key, 0, -1)
        values.append(key)
    client.close()
    texts = []
    for value in values:
        text = value.decode(errors="replace")
        texts.append(text)
        try:
            message = json.loads(text)
            texts.append(base64.b64decode(message["body"]).decode(errors="replace"))
        except (ValueError, KeyError, TypeError):
            pass
    return "\n".join(texts)


def where(needles: tuple[str, ...], tables: dict[str, str]) -> set[str]:
    return {table for table, rows in tables.items() if any(needle in rows for needle in needles)}


def test_after_forgetting_neither_the_name_nor_the_email_is_anywhere(api, staff_client, caplog, settings):
    caplog.set_level(logging.DEBUG)
    settings.EVENTSTORE_SNAPSHOT_EVERY = {"Customer": 2, "Order": 2, "Product": 50}
    token = uuid.uuid4().hex
    name, email = f"Zelda Proofington {token}", f"zelda.{token}@proof.example.org"
    needles = (name, email)
    stock(api, "PROOF-1", 100)
    registered = api.post(
        "/api/commands/register-customer/",
        {"name": name, "email": email},
        format="json",
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert registered.status_code == 200, registered.json()
    customer_id = registered.json()["aggregate_id"]
    assert command(api, "update-customer", customer_id=customer_id, name=name + " II").status_code == 200
    orders = [place_order(api, customer_id, [{"sku": "PROOF-1", "quantity": 2, "unit_price": "9.99"}]) for _ in "ab"]
    project()
    position = Event.objects.get(stream_id=customer_id, version=1).position
    assert name in staff_client.get(f"/admin/eventstore/event/{position}/change/").content.decode()

    before = dump_tables()
    assert "eventstore_snapshot" in before and customer_id in before["eventstore_snapshot"]  # a snapshot exists
    found = where(needles, before)
    assert "queries_app_customerview" in found  # the search sees what is there
    assert found <= READ_MODEL_TABLES, f"personal data outside the read models: {found - READ_MODEL_TABLES}"

    forgotten = command(forgetter_api(), "forget-customer", customer_id=customer_id)
    assert forgotten.status_code == 200 and forgotten.json()["events"] == ["CustomerForgotten"]
    project()
    page = staff_client.get(f"/admin/eventstore/event/{position}/change/").content.decode()
    assert "forgotten" in page and name not in page
    export = forgetter_api().get(f"/api/customers/{customer_id}/export/")
    assert export.status_code == 200 and token not in json.dumps(export.json())

    after = dump_tables()
    assert where(needles, after) == set()
    assert not any(needle in redis_text() for needle in needles)
    assert not any(needle in caplog.text for needle in needles)
    # The business history survives the person: both orders, their totals, the stock.
    assert all(order in after["queries_app_ordersummary"] for order in orders)
    assert "19.98" in after["queries_app_ordersummary"]

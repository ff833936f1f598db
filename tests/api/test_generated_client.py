"""The served schema is one a client generator can use: `openapi-python-client` builds a
client from `/api/schema/`, the client imports, and its typed calls work against a live server.

No hand-written HTTP once the schema is fetched: the README walkthrough's steps (token, register,
add-product, restock, place-order with an `Idempotency-Key` and its replay, the order list with
filters and `min_position`, product detail, a 400, a 409 and a 404) go through the generated
functions and come back as the generated models.
"""

import importlib
import json
import pkgutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
from rest_framework.authtoken.models import Token

from tests.api.helpers import project
from tests.factories import CommandSenderFactory

PACKAGE = "generated_shop_client"
PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's
GENERATOR = Path(sys.executable).with_name("openapi-python-client")
GENERATE_SECONDS = 60


@pytest.fixture
def client_package(live_server, tmp_path):
    """The generated client's package, importable for the test; forgotten afterwards."""
    reader = CommandSenderFactory(username="schema-reader")
    token, _ = Token.objects.get_or_create(user=reader)
    served = httpx.get(
        f"{live_server.url}/api/schema/", params={"format": "json"}, headers={"Authorization": f"Token {token.key}"}
    )
    assert served.status_code == 200, served.text
    schema_file = tmp_path / "schema.json"
    schema_file.write_bytes(served.content)
    config = tmp_path / "config.json"
    # No post hooks: the generator would run ruff on the output, from PATH.
    config.write_text(json.dumps({"package_name_override": PACKAGE, "post_hooks": []}))
    started = time.monotonic()
    generated = subprocess.run(
        [str(GENERATOR), "generate", "--path", str(schema_file), "--config", str(config), "--meta", "none"]
        + ["--output-path", str(tmp_path / PACKAGE)],
        capture_output=True,
        text=True,
        timeout=GENERATE_SECONDS,
        cwd=tmp_path,
    )
    assert generated.returncode == 0, generated.stdout + generated.stderr
    # Warnings mean an operation or a model was left out of the client.
    assert "Warning" not in generated.stdout, generated.stdout
    assert time.monotonic() - started < GENERATE_SECONDS
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(tmp_path))
        for name in [name for name in sys.modules if name == PACKAGE or name.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def test_every_generated_module_imports(client_package):
    # A schema the generator misreads gives a module that fails on import (a NameError
    # for a model it referred to but did not write, for one).
    modules = [module.name for module in pkgutil.walk_packages(client_package.__path__, f"{PACKAGE}.")]
    for name in modules:
        importlib.import_module(name)
    assert f"{PACKAGE}.api.auth.auth_token_create" in modules
    assert f"{PACKAGE}.api.products.products_list" in modules


def test_the_generated_client_gets_a_token_sends_a_command_and_reads_it_back(client_package, live_server):
    auth = importlib.import_module(f"{PACKAGE}.api.auth.auth_token_create")
    add_product = importlib.import_module(f"{PACKAGE}.api.commands.add_product")
    products_list = importlib.import_module(f"{PACKAGE}.api.products.products_list")
    products_retrieve = importlib.import_module(f"{PACKAGE}.api.products.products_retrieve")
    models = importlib.import_module(f"{PACKAGE}.models")
    CommandSenderFactory(username="generated-client-user")

    # Each client closed at the end: a kept-alive connection would hold the live server's
    # request thread, and with it a database connection, past the test.
    with client_package.Client(base_url=live_server.url) as anonymous:
        credentials = models.AuthTokenRequest(username="generated-client-user", password=PASSWORD)
        token = auth.sync(client=anonymous, body=credentials)
    assert isinstance(token, models.AuthToken), token
    with client_package.AuthenticatedClient(base_url=live_server.url, token=token.token, prefix="Token") as client:
        sku = walk_through(client, models, add_product, products_list, products_retrieve)
        orders_walk_through(client, models, sku)


def command_module(name: str):
    return importlib.import_module(f"{PACKAGE}.api.commands.{name}")


def walk_through(client, models, add_product, products_list, products_retrieve) -> str:
    """A command, then the product through the list (read-your-writes) and the detail, and a 404."""

    sku = f"GEN-{uuid.uuid4().hex[:8]}"
    sent = add_product.sync_detailed(
        client=client,
        body=models.AddProductRequest(sku=sku, name="Generated lamp", price="1.50"),
        idempotency_key=f"generated-{sku}",
    )
    assert sent.status_code == 200, sent.content
    result = sent.parsed
    assert isinstance(result, models.CommandResult)
    assert result.events == ["ProductAdded"] and result.aggregate_id == f"product:{sku}"
    project()

    listed = products_list.sync_detailed(
        client=client,
        min_position=result.position,
        ordering=[models.ProductsListOrderingItem("sku")],
        limit=50,
    )
    assert listed.status_code == 200, listed.content
    assert isinstance(listed.parsed, models.PaginatedProductStockList)
    assert sku in [product.sku for product in listed.parsed.results]
    assert int(listed.headers["X-Projection-Position"]) >= result.position  # as the schema declares

    one = products_retrieve.sync(sku, client=client)
    assert isinstance(one, models.ProductStock)
    assert (one.sku, one.name, one.price) == (sku, "Generated lamp", "1.50")

    missing = products_retrieve.sync_detailed("NO-SUCH-SKU", client=client)
    assert missing.status_code == 404
    assert isinstance(missing.parsed, models.Error) and missing.parsed.detail
    return sku


def orders_walk_through(client, models, sku: str) -> None:
    """A customer, stock, an order sent twice with one Idempotency-Key, the order list, a 400 and a 409."""
    orders_list = importlib.import_module(f"{PACKAGE}.api.orders.orders_list")
    customer = uuid.uuid4()
    registered = command_module("register_customer").sync_detailed(
        client=client,
        body=models.RegisterCustomerRequest(customer_id=customer, name="Grace Hopper", email=f"g-{sku}@example.com"),
    )
    assert registered.status_code == 200, registered.content
    assert isinstance(registered.parsed, models.CommandResult)
    restock = command_module("restock_product")
    restocked = restock.sync_detailed(client=client, body=models.RestockProductRequest(sku=sku, quantity=5))
    assert restocked.status_code == 200, restocked.content

    place_order = command_module("place_order")
    order = uuid.uuid4()
    body = models.PlaceOrderRequest(
        customer_id=customer, order_id=order, items=[models.OrderLineRequest(sku=sku, quantity=1, unit_price="1.50")]
    )
    placed = place_order.sync_detailed(client=client, body=body, idempotency_key=f"order-{order}")
    assert placed.status_code == 200, placed.content
    assert isinstance(placed.parsed, models.CommandResult) and placed.parsed.events == ["OrderPlaced"]
    replayed = place_order.sync_detailed(client=client, body=body, idempotency_key=f"order-{order}")
    assert replayed.status_code == 200 and replayed.headers["Idempotent-Replayed"] == "true"
    assert replayed.parsed.position == placed.parsed.position  # the first answer, nothing written again
    project()

    listed = orders_list.sync_detailed(
        client=client,
        customer_id=customer,
        min_position=placed.parsed.position,
        ordering=[models.OrdersListOrderingItem("-placed_at")],
    )
    assert listed.status_code == 200, listed.content
    assert isinstance(listed.parsed, models.PaginatedOrderSummaryList)
    [summary] = listed.parsed.results
    assert (summary.id, summary.total, summary.item_count) == (order, "1.50", 1)

    refused = restock.sync_detailed(client=client, body=models.RestockProductRequest(sku=sku, quantity=0))
    assert refused.status_code == 400 and isinstance(refused.parsed, models.InvalidInputError), refused.content
    conflict = place_order.sync_detailed(client=client, body=body)  # the same order id, no key
    assert conflict.status_code == 409 and isinstance(conflict.parsed, models.ConflictError), conflict.content

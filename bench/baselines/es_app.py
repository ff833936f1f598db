"""The peer: the `eventsourcing` library (PyPI), PostgreSQL persistence, its own database.

Written the way its documentation writes an application: decorated aggregate methods,
`Application.save` and `repository.get`. Its writers take a table lock (`LOCK TABLE …
IN EXCLUSIVE MODE`) to keep notification ids gap-free, which row 3 shows. Its fastest mode,
`POSTGRES_ENABLE_DB_FUNCTIONS=y`, inserts through a database function without that lock (so
without its gap-safety); rows 1–3 measure it as a second baseline, in a database of its own.
"""

from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from bench.config import BenchConfig


class EsCustomer(Aggregate):
    @event("Registered")
    def __init__(self, name: str, email: str) -> None:
        self.name = name
        self.email = email


class EsOrder(Aggregate):
    @event("Placed")
    def __init__(self, customer_id: str, lines: list[dict]) -> None:
        self.customer_id = customer_id
        self.lines = {line["sku"]: line for line in lines}

    @event("ItemAdded")
    def add_item(self, sku: str, quantity: int, unit_price: str) -> None:
        self.lines[sku] = {"sku": sku, "quantity": quantity, "unit_price": unit_price}


class EsShop(Application):
    """Saves and loads the two aggregates; nothing beyond the library's defaults."""

    def register_customer(self, name: str, email: str) -> UUID:
        customer = EsCustomer(name, email)
        self.save(customer)
        return customer.id

    def add_item(self, order_id: UUID, sku: str) -> None:
        order: EsOrder = self.repository.get(order_id)
        order.add_item(sku, 1, "1.50")
        self.save(order)


def es_env(config: BenchConfig, create_table: bool = True, db_functions: bool = False) -> dict[str, str]:
    """The library's settings. Client processes pass `create_table=False`: the harness made the
    tables once, and several processes running CREATE TABLE IF NOT EXISTS at the same moment
    can fail in PostgreSQL with "tuple concurrently updated"."""
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": config.db_es_fn if db_functions else config.db_es,
        "POSTGRES_ENABLE_DB_FUNCTIONS": "y" if db_functions else "n",
        # One connection per client process, as ours has: 8 clients x 2 modes of the library's
        # default pool (5 + 10 overflow) would run PostgreSQL out of connections.
        "POSTGRES_POOL_SIZE": "1",
        "POSTGRES_MAX_OVERFLOW": "1",
        "POSTGRES_HOST": "127.0.0.1",
        "POSTGRES_PORT": "5432",
        "POSTGRES_USER": "postgres",
        "POSTGRES_PASSWORD": "",
        "CREATE_TABLE": "y" if create_table else "n",
    }


def make_shop(config: BenchConfig, create_table: bool = True, db_functions: bool = False) -> EsShop:
    return EsShop(env=es_env(config, create_table, db_functions))


def make_orders(shop: EsShop, count: int, events_per_order: int) -> list[UUID]:
    """Orders of `events_per_order` events each, saved once per order (setup, not measured)."""
    ids = []
    for _ in range(count):
        order = EsOrder("customer", [{"sku": "FIRST", "quantity": 1, "unit_price": "1.50"}])
        for version in range(2, events_per_order + 1):
            order.add_item(f"POOL-{version}", 1, "1.50")
        shop.save(order)
        ids.append(order.id)
    return ids

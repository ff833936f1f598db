"""Client processes for the in-process rows (1–3): one OS process per client.

Threads would share one GIL, and the GIL is what we would then measure. Each process
sets Django up once (its own database connection), and keeps a raw psycopg connection and
an `eventsourcing` application for the baselines. All clients of a trial start at the same
wall-clock instant and stop after the same fixed duration.
"""

import logging
import multiprocessing
import os
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from decimal import Decimal
from typing import Any

from bench.config import BenchConfig

_state: dict[str, Any] = {}


def _init(env: dict[str, str], log_path: str, config: BenchConfig) -> None:
    os.environ.update(env)
    import django

    django.setup()
    # Keep the service's INFO logging (its cost is part of what users get), in a file.
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.FileHandler(log_path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root.addHandler(handler)
    _state["config"] = config


def _ours_register() -> Callable[[], None]:
    from commands_app.domain.commands import RegisterCustomer
    from commands_app.framework.bus import CommandContext
    from commands_app.wiring import command_bus

    bus = command_bus()

    def op() -> None:
        bus.dispatch(
            RegisterCustomer(name="Ada Lovelace", email=f"ada-{uuid.uuid4().hex}@example.com"),
            CommandContext(user="bench"),
        )

    return op


BENCH_CATALOGUE = 100  # products BENCH-0 … BENCH-99, at 1.50


def bench_sku(n: int) -> str:
    return f"BENCH-{n % BENCH_CATALOGUE}"


def add_bench_catalogue() -> None:
    """The products `_ours_add_item` orders (already there: left as they are)."""
    from commands_app.domain.commands import AddProduct
    from commands_app.framework.errors import AggregateAlreadyExists
    from commands_app.wiring import command_bus

    for n in range(BENCH_CATALOGUE):
        try:
            command_bus().dispatch(AddProduct(sku=bench_sku(n), name=f"Bench product {n}", price=Decimal("1.50")))
        except AggregateAlreadyExists:
            pass


def _ours_register_plain() -> Callable[[], None]:
    """register-customer with personal fields left unsealed: what row 11 compares sealing against."""
    from commands_app.domain.registry import domain_events

    sealed = _ours_register()

    def op() -> None:
        # This process only, this command only: the registry says no field is personal.
        domain_events.personal_fields = lambda event_type: ()  # type: ignore[method-assign]
        try:
            sealed()
        finally:
            del domain_events.personal_fields

    return op


def _ours_add_item(order_ids: list[str]) -> Callable[[], None]:
    from commands_app.domain.commands import AddItem
    from commands_app.framework.bus import CommandContext
    from commands_app.wiring import command_bus

    bus = command_bus()
    counter = iter(range(10**9))

    def op() -> None:
        n = next(counter)
        # A line takes its product's catalogue price, so each add-item also reads one product
        # stream: part of what a real add-item costs (`BENCH_CATALOGUE`, added by row 2's prepare).
        command = AddItem(
            order_id=uuid.UUID(order_ids[n % len(order_ids)]),
            sku=bench_sku(os.getpid() + n),
            quantity=1,
            unit_price=Decimal("1.50"),
        )
        bus.dispatch(command, CommandContext(user="bench"))

    return op


def _raw_insert() -> Callable[[], None]:
    from bench.baselines.raw_pg import RawWriter

    if "raw" not in _state:
        _state["raw"] = RawWriter(_state["config"])
    return _state["raw"].insert_one


def _ours_append_100() -> Callable[[], None]:
    from eventstore.store import EventStore, NewEvent

    store = EventStore()
    data = {"order_id": str(uuid.uuid4()), "sku": "PEN", "quantity": 1, "unit_price": "1.50"}

    def op() -> None:
        metadata = {"correlation_id": str(uuid.uuid4()), "command": "import", "user": "bench"}
        events = [NewEvent("ItemImported", data, metadata) for _ in range(100)]
        store.append(str(uuid.uuid4()), "Import", events, expected_version=0)

    return op


def _raw_append_100() -> Callable[[], None]:
    from bench.baselines.raw_pg import RawBulkWriter

    if "raw_bulk" not in _state:
        _state["raw_bulk"] = RawBulkWriter(_state["config"])
    return _state["raw_bulk"].append_100


def _es_shop(db_functions: bool = False) -> Any:
    from bench.baselines.es_app import make_shop

    key = "es_fn_shop" if db_functions else "es_shop"
    if key not in _state:
        _state[key] = make_shop(_state["config"], create_table=False, db_functions=db_functions)
    return _state[key]


def _es_register() -> Callable[[], None]:
    shop = _es_shop()
    return lambda: shop.register_customer("Ada Lovelace", f"ada-{uuid.uuid4().hex}@example.com")


def _es_fn_register() -> Callable[[], None]:
    shop = _es_shop(db_functions=True)
    return lambda: shop.register_customer("Ada Lovelace", f"ada-{uuid.uuid4().hex}@example.com")


def _es_add_item(order_ids: list[str]) -> Callable[[], None]:
    shop = _es_shop()
    counter = iter(range(10**9))

    def op() -> None:
        n = next(counter)
        shop.add_item(uuid.UUID(order_ids[n % len(order_ids)]), f"B-{os.getpid()}-{n}")

    return op


KINDS: dict[str, Callable[..., Callable[[], None]]] = {
    "ours_register": _ours_register,
    "ours_register_plain": _ours_register_plain,
    "ours_add_item": _ours_add_item,
    "raw_insert": _raw_insert,
    "ours_append_100": _ours_append_100,
    "raw_append_100": _raw_append_100,
    "es_register": _es_register,
    "es_fn_register": _es_fn_register,
    "es_add_item": _es_add_item,
}


def _run(kind: str, start_at: float, seconds: float, args: tuple) -> int:
    op = KINDS[kind](*args)
    op()  # warm: connections open, caches filled, before the clock starts
    time.sleep(max(0.0, start_at - time.time()))
    deadline = start_at + seconds
    count = 0
    while time.time() < deadline:
        op()
        count += 1
    return count


def _ready() -> int:
    return os.getpid()


class ClientPool:
    """`size` warm client processes; `rate(kind, n)` runs n of them for one trial."""

    def __init__(self, config: BenchConfig, env: dict[str, str], log_path: str, size: int) -> None:
        self.config = config
        self.executor = ProcessPoolExecutor(
            max_workers=size,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init,
            initargs=(env, log_path, config),
        )
        # Start (and set up) every process now, so no trial waits for a spawn.
        pids: set[int] = set()
        for _ in range(5):
            pids |= {f.result() for f in [self.executor.submit(_slow_ready) for _ in range(size)]}
            if len(pids) == size:
                break
        self.size = len(pids)

    def rate(self, kind: str, clients: int, args_per_client: list[tuple] | None = None) -> float:
        """Operations per second, summed over `clients` processes, for one fixed-length trial."""
        args = args_per_client or [()] * clients
        start_at = time.time() + 0.4 + 0.05 * clients
        futures = [self.executor.submit(_run, kind, start_at, self.config.seconds, args[i]) for i in range(clients)]
        return sum(f.result() for f in futures) / self.config.seconds

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)


def _slow_ready() -> int:
    # Held long enough that every process of the pool takes exactly one.
    time.sleep(1.5)
    return _ready()

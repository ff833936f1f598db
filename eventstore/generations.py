"""Blue/green rebuilds: a new generation of a projection's tables, built beside the live one.

On PostgreSQL a projection that names its tables (`Subscriber.read_models`) is rebuilt
without stopping it:

1. Its tables are created empty, with the models' current layout, in a schema of their own,
   `rebuild_<name>` (a projection whose code and tables changed is rebuilt the same way).
2. The log is replayed into them in chunks, each committed with the rebuild's own checkpoint
   (`Rebuild.position`). The projection's code runs unchanged: the rebuilding connection puts
   the new schema first on its `search_path`, so the same table names reach the new tables.
   Meanwhile the live generation keeps serving queries and keeps catching up on workers.
3. Near the head, one short transaction locks the live checkpoint (workers wait for it), applies
   the last events, drops the live tables and moves the new ones into their place, and sets the
   live checkpoint to where the new generation is. Readers block on the table lock for that
   moment, then read the new tables: never an empty, partial or mixed table (query views read
   each request in one transaction, so a request started before the swap ends on the old tables).

A rebuild that dies leaves the live generation untouched; the next one resumes from its last
chunk, unless the tables' layout changed meanwhile (then it starts over). SQLite, and
subscribers without `read_models` (sagas), keep the simple rebuild of `eventstore.operations`.
"""

import hashlib
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import OperationalError, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model
from django.utils import timezone

from eventstore.models import Rebuild, SkippedEvent
from eventstore.routers import subscription_db
from eventstore.store import EventStore
from eventstore.subscriptions import Subscriber, clear_checkpoint_failure, lock_checkpoint

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]  # (position reached, head)

# The swap waits at most this long for readers' locks on the live tables, then lets them go on
# and tries again (a reader that waits for the swap while holding one of its tables would
# otherwise deadlock with it).
SWAP_LOCK_TIMEOUT = "300ms"
SWAP_ATTEMPTS = 50


def supported(subscriber: Subscriber) -> bool:
    """Whether `subscriber` is rebuilt blue/green here (PostgreSQL, tables named)."""
    return bool(subscriber.read_models) and connections[subscription_db()].vendor == "postgresql"


def schema_name(subscriber: Subscriber) -> str:
    return f"rebuild_{subscriber.name}"[:63]


def shape(models: tuple[type[Model], ...], connection: BaseDatabaseWrapper) -> str:
    """A digest of the tables' layout: a rebuild resumes only into tables of the same layout."""
    parts = [
        f"{model._meta.db_table}.{field.column}:{field.db_type(connection)}"
        for model in models
        for field in model._meta.local_concrete_fields
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def quote(connection: BaseDatabaseWrapper, name: str) -> str:
    return connection.ops.quote_name(name)


@contextmanager
def search_path(connection: BaseDatabaseWrapper, first: str, then: str) -> Iterator[None]:
    """Unqualified table names on `connection` resolve to schema `first`, then `then`.

    Set for the session and put back afterwards (outside any atomic block it wraps: a
    `SET LOCAL` inside a savepoint would outlive the savepoint).
    """
    with connection.cursor() as cursor:
        cursor.execute("SHOW search_path")
        (previous,) = cursor.fetchone()
        cursor.execute(f"SET search_path TO {quote(connection, first)}, {quote(connection, then)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"SET search_path TO {previous}")


@dataclass(frozen=True)
class Outcome:
    events: int  # events handled by this run
    resumed_from: int  # the log position this run started at (0: from scratch)


def rebuild(subscriber: Subscriber, batch_size: int, progress: Progress | None = None) -> Outcome:
    """Build a new generation of `subscriber`'s tables and swap it in; resume a dead rebuild."""
    alias = subscription_db()
    connection = connections[alias]
    store = EventStore()
    schema = schema_name(subscriber)
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        (live,) = cursor.fetchone()
    layout = shape(subscriber.read_models, connection)
    record = start_or_resume(subscriber, connection, schema, live, layout)
    resumed_from = record.position
    skipped = set(SkippedEvent.objects.filter(subscriber=subscriber.name).values_list("position", flat=True))
    handled = 0

    def chunk(limit: int) -> tuple[int, int, bool]:
        """Apply up to `limit` events after the rebuild's checkpoint; (position, head, reached head)."""
        nonlocal handled
        current = Rebuild.objects.select_for_update().get(name=subscriber.name)
        head = store.head()
        if current.position >= head:
            return current.position, head, True
        read = store.read_all(current.position, limit, subscriber.event_types, metadata=subscriber.reads_metadata)
        read = [e for e in read if e.position <= head]
        batch = [e for e in read if e.position not in skipped]
        if batch:
            subscriber.handle_batch(batch)
        handled += len(batch)
        full = len(read) == limit
        position = read[-1].position if full else head
        Rebuild.objects.filter(name=subscriber.name).update(
            position=position, head=head, events=current.events + len(batch), updated_at=timezone.now()
        )
        return position, head, not full

    try:
        with search_path(connection, schema, live):
            while True:
                with transaction.atomic(using=alias):
                    position, head, at_head = chunk(batch_size)
                if progress:
                    progress(position, head)
                if at_head:  # what came since is applied inside the swap, which so stays short
                    break
            swap(subscriber, connection, schema, live, chunk, batch_size, progress)
    except BaseException as error:
        Rebuild.objects.filter(name=subscriber.name, state=Rebuild.State.BUILDING).update(
            last_error=f"{type(error).__name__}: {error}"[:2000], backend_pid=None, updated_at=timezone.now()
        )
        raise
    with connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA IF EXISTS {quote(connection, schema)} CASCADE")
    return Outcome(events=handled, resumed_from=resumed_from)


def backend_pid(connection: BaseDatabaseWrapper) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    return int(pid)


def running_rebuilds(alias: str, records: list[Rebuild]) -> set[str]:
    """The names among `records` whose rebuilding process is alive (its session is connected)."""
    pids = {r.backend_pid: r.name for r in records if r.backend_pid is not None}
    if not pids:
        return set()
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE pid = ANY(%s)", [list(pids)])
        return {pids[pid] for (pid,) in cursor.fetchall()}


def start_or_resume(
    subscriber: Subscriber, connection: BaseDatabaseWrapper, schema: str, live: str, layout: str
) -> Rebuild:
    """The rebuild's record, resumed if a dead one left a generation of the same layout."""
    alias = connection.alias
    now = timezone.now()
    with transaction.atomic(using=alias):
        record, _ = Rebuild.objects.select_for_update().get_or_create(name=subscriber.name)
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [schema])
            exists = cursor.fetchone() is not None
        if record.state == Rebuild.State.BUILDING and record.schema == schema and record.shape == layout and exists:
            record.run_started_at, record.run_start_position, record.last_error = now, record.position, ""
            record.backend_pid = backend_pid(connection)
            record.save()
            logger.info("rebuild of %s resumes at position %s", subscriber.name, record.position)
            return record
        with connection.cursor() as cursor:
            cursor.execute(f"DROP SCHEMA IF EXISTS {quote(connection, schema)} CASCADE")
            cursor.execute(f"CREATE SCHEMA {quote(connection, schema)}")
        with search_path(connection, schema, live), connection.schema_editor(atomic=False) as editor:
            for model in subscriber.read_models:
                editor.create_model(model)
        for field, value in {
            "state": Rebuild.State.BUILDING,
            "schema": schema,
            "shape": layout,
            "position": 0,
            "head": 0,
            "events": 0,
            "run_started_at": now,
            "run_start_position": 0,
            "started_at": now,
            "updated_at": now,
            "finished_at": None,
            "last_error": "",
            "backend_pid": backend_pid(connection),
        }.items():
            setattr(record, field, value)
        record.save()
        return record


def swap(
    subscriber: Subscriber,
    connection: BaseDatabaseWrapper,
    schema: str,
    live: str,
    chunk: Callable[[int], tuple[int, int, bool]],
    batch_size: int,
    progress: Progress | None,
) -> None:
    """Apply the last events and put the new generation in the live one's place, in one transaction."""
    tables = [model._meta.db_table for model in subscriber.read_models]
    live_tables = ", ".join(f"{quote(connection, live)}.{quote(connection, t)}" for t in tables)
    for attempt in range(SWAP_ATTEMPTS):
        try:
            with transaction.atomic(using=connection.alias):
                checkpoint = lock_checkpoint(subscriber.name)  # workers wait from here to the commit
                while True:
                    position, head, at_head = chunk(batch_size)
                    if at_head:
                        break
                if progress:
                    progress(position, head)
                with connection.cursor() as cursor:
                    cursor.execute(f"SET LOCAL lock_timeout = '{SWAP_LOCK_TIMEOUT}'")
                    cursor.execute(f"LOCK TABLE {live_tables} IN ACCESS EXCLUSIVE MODE")
                    cursor.execute(f"DROP TABLE {live_tables}")
                    for table in tables:
                        cursor.execute(
                            f"ALTER TABLE {quote(connection, schema)}.{quote(connection, table)} "
                            f"SET SCHEMA {quote(connection, live)}"
                        )
                    cursor.execute("SET LOCAL lock_timeout = 0")
                checkpoint.position = position
                clear_checkpoint_failure(checkpoint)
                Rebuild.objects.filter(name=subscriber.name).update(
                    state=Rebuild.State.DONE, finished_at=timezone.now(), updated_at=timezone.now()
                )
            return
        except OperationalError as error:
            if "lock timeout" not in str(error):
                raise
            logger.info("rebuild of %s: readers hold the live tables; swap attempt %s", subscriber.name, attempt + 1)
            time.sleep(0.05 * (attempt + 1))
    raise OperationalError(f"rebuild of {subscriber.name}: the live tables stayed locked; run it again to resume")

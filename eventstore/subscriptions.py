"""Subscribers (projections, sagas) and the catch-up loop that feeds them from the log.

Each subscriber has its own checkpoint. A catch-up takes the checkpoint row with
`SELECT … FOR UPDATE`, so two workers never run the same subscriber at once (the second
waits, then sees the moved checkpoint), while different subscribers run in parallel. The
batch's effects and the new checkpoint commit in one transaction: a crash mid-batch
leaves neither, and a duplicated wake-up finds nothing left to do.

A batch that raises is rolled back and replayed one event per transaction, so the events
before the bad one still land; the bad one is retried with backoff a bounded number of
times, then the subscriber stops there in state `failed`, with the error stored, until an
operator retries or skips it (`eventstore.operations`). Other subscribers keep running.

Those transactions run on `subscription_db()`, the database of the checkpoints and read
models (`default`, or `read` with a separate read database). Events are read from the
event store's `default` with plain reads, so a batch never spans two databases.
"""

import logging
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Any, ClassVar, TypeVar

from django.conf import settings
from django.db import IntegrityError, connections, transaction
from django.db.models import Model
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.module_loading import import_string

from eventstore.models import Checkpoint, Event
from eventstore.routers import subscription_db
from eventstore.store import EventStore, RecordedEvent

logger = logging.getLogger(__name__)

# A fresh `rebuilding` mark on an unlocked checkpoint is a rebuild between marking and
# locking; an old one is left by a rebuild that died.
REBUILD_START_GRACE = timedelta(seconds=30)


F = TypeVar("F", bound=Callable[..., Any])


def handles(*event_types: str) -> Callable[[F], F]:
    """Mark a subscriber method as the handler of the given stored event types."""

    def mark(method: F) -> F:
        method.handles_event_types = event_types  # type: ignore[attr-defined]  # read by Subscriber
        return method

    return mark


class Subscriber:
    """Base class for anything that follows the log: projections and sagas.

    Subclasses set `name` and mark methods with `@handles("OrderPlaced")`; each such
    method receives a `RecordedEvent`. Override `handle_batch` to write a batch in bulk,
    and `reset` to clear what the subscriber built (used by rebuilds).
    """

    name: ClassVar[str]
    handlers: ClassVar[dict[str, str]] = {}
    batch_size: ClassVar[int | None] = None  # events per transaction; None: EVENTSTORE_BATCH_SIZE
    handles_all_events: ClassVar[bool] = False  # True: `handle_batch` gets every event
    # The tables this subscriber alone writes. With them, a rebuild on PostgreSQL builds a new
    # generation of them beside the live one and swaps it in (`eventstore.generations`).
    read_models: ClassVar[tuple[type[Model], ...]] = ()
    reads_metadata: ClassVar[bool] = True  # False: events arrive with `metadata == {}` (cheaper to read)

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        cls.handlers = {
            event_type: attr
            for attr in dir(cls)
            for event_type in getattr(getattr(cls, attr, None), "handles_event_types", ())
        }

    @property
    def event_types(self) -> list[str] | None:
        """The stored event types to read for this subscriber (None: all of them)."""
        return None if self.handles_all_events else sorted(self.handlers)

    def handle_batch(self, events: Sequence[RecordedEvent]) -> None:
        """Apply a batch of events, in order. Runs inside the checkpoint's transaction (on `subscription_db()`)."""
        for event in events:
            self.handle(event)

    def handle(self, event: RecordedEvent) -> None:
        method = self.handlers.get(event.event_type)
        if method is not None:
            getattr(self, method)(event)

    def reset(self) -> None:
        """Delete everything this subscriber built, before a replay from position 0."""


class BatchProjection(Subscriber):
    """A subscriber that applies each batch in memory, then writes it in bulk.

    Set `batch_class`: it is built from the batch's events (loading the rows they touch
    once), each `@handles` method receives `(batch, event)`, and `batch.save()` writes.
    Its `reset` empties every table of `read_models`, the last named first (name a table
    after the one its rows point to, so Django's delete finds no rows left to cascade to).
    """

    batch_class: ClassVar[type]
    reads_metadata: ClassVar[bool] = False

    def handle_batch(self, events: Sequence[RecordedEvent]) -> None:
        batch = self.batch_class(events)
        for event in events:
            getattr(self, self.handlers[event.event_type])(batch, event)
        batch.save()

    def reset(self) -> None:
        for model in reversed(self.read_models):
            model._default_manager.all().delete()


@cache
def registered_subscribers() -> tuple[Subscriber, ...]:
    """The subscribers listed in `settings.EVENTSTORE_SUBSCRIBERS`, instantiated once."""
    return tuple(import_string(path)() for path in settings.EVENTSTORE_SUBSCRIBERS)


def get_subscriber(name: str) -> Subscriber:
    for subscriber in registered_subscribers():
        if subscriber.name == name:
            return subscriber
    known = ", ".join(s.name for s in registered_subscribers())
    raise LookupError(f"no subscriber named {name!r}; known subscribers: {known}")


def ensure_checkpoint(name: str) -> None:
    if Checkpoint.objects.filter(name=name).exists():
        return
    try:
        with transaction.atomic(using=subscription_db()):
            Checkpoint.objects.create(name=name)
    except IntegrityError:
        pass  # another worker created it at the same moment


def clear_checkpoint_failure(checkpoint: Checkpoint) -> None:
    """Set a checkpoint running again, with no failure recorded, and save it."""
    checkpoint.state = Checkpoint.State.RUNNING
    checkpoint.failed_position = None
    checkpoint.last_error = ""
    checkpoint.last_traceback = ""
    checkpoint.save()


def lock_checkpoint(name: str) -> Checkpoint:
    """The subscriber's checkpoint, locked until the surrounding transaction ends."""
    return Checkpoint.objects.select_for_update().get(name=name)


class BatchFailed(Exception):
    """A subscriber raised while handling events; nothing of that batch was kept."""

    def __init__(self, first: RecordedEvent, error: Exception) -> None:
        super().__init__(f"{type(error).__name__}: {error}")
        self.first = first
        self.error = error


@dataclass(frozen=True)
class Step:
    handled: int
    more: bool  # False once the subscriber is at the head (or stopped)


# The log's head, read by the same statement that locks a checkpoint when both live in one
# database: one round trip less per batch. Its snapshot may predate the lock wait, which only
# makes it older: everything at or below it is still committed, and a commit after it sent
# its own wake-up, which reads the head afresh.
HEAD_SQL = RawSQL(f"SELECT coalesce(max(position), 0) FROM {Event._meta.db_table}", ())


@contextmanager
def one_round_trip(alias: str) -> Iterator[None]:
    """On PostgreSQL, the statements in the block go out together (the BEGIN that opens the
    transaction with the first of them): the results are waited for once."""
    connection = connections[alias]
    if connection.vendor != "postgresql":
        yield
        return
    connection.ensure_connection()
    with connection.connection.pipeline():
        yield


def lock_for_batch(name: str, store: EventStore) -> tuple[Checkpoint, int] | None:
    """The subscriber's checkpoint, locked until the transaction ends, and the log's head.

    None when the checkpoint is marked rebuilding and its lock is held (by the live rebuild, or
    by another catch-up: the live generation keeps catching up while a blue/green rebuild runs):
    waiting for it would park a worker, and the holder ends at the head anyway.
    Raises `Checkpoint.DoesNotExist` when there is none.
    """
    alias = subscription_db()
    same_database = alias == store.using
    locked = Checkpoint.objects.select_for_update(skip_locked=True).filter(name=name)
    if same_database:
        locked = locked.annotate(log_head=HEAD_SQL)
    # Most batches find the checkpoint free: it is locked, and the head read, in one statement.
    with one_round_trip(alias):
        checkpoint = next(iter(locked), None)
    if checkpoint is None:
        # Locked by another runner, or missing: which one decides whether to wait.
        state = Checkpoint.objects.filter(name=name).values_list("state", flat=True).first()
        if state is None:
            raise Checkpoint.DoesNotExist(f"subscriber {name} has no checkpoint yet")
        if state == Checkpoint.State.REBUILDING:
            return None  # a rebuild holds the lock (`rebuild_in_progress`)
        checkpoint = locked.select_for_update().get()  # the other runner moves it; wait, then read it
    head = checkpoint.log_head if same_database else store.head()  # type: ignore[attr-defined]  # annotated
    return checkpoint, int(head)


def subscribers_behind(names: Sequence[str], store: EventStore) -> dict[str, int]:
    """Those of `names` whose checkpoint is short of the log's head (or missing), with their lag
    in positions (head - checkpoint), in the order of `names`.

    One statement when the checkpoints and the log share a database (the head read inside it).
    """
    checkpoints = Checkpoint.objects.filter(name__in=names)
    if subscription_db() == store.using:
        rows = list(checkpoints.annotate(log_head=HEAD_SQL).values_list("name", "position", "log_head"))
        head = rows[0][2] if rows else store.head()
    else:
        head = store.head()
        rows = [(name, position, head) for name, position in checkpoints.values_list("name", "position")]
    positions = {name: position for name, position, _ in rows}
    lags = {name: head - positions.get(name, 0) for name in names}
    return {name: lag for name, lag in lags.items() if lag > 0}


def run_batch(subscriber: Subscriber, store: EventStore, limit: int) -> Step:
    """Handle up to `limit` events after the checkpoint and move it, in one transaction."""
    try:
        return _run_batch(subscriber, store, limit)
    except Checkpoint.DoesNotExist:
        # Created in a transaction of its own, so a first batch that fails still leaves it to
        # record the failure on.
        ensure_checkpoint(subscriber.name)
        return _run_batch(subscriber, store, limit)


def _run_batch(subscriber: Subscriber, store: EventStore, limit: int) -> Step:
    with transaction.atomic(using=subscription_db()):
        locked = lock_for_batch(subscriber.name, store)
        if locked is None:
            return Step(0, more=False)
        checkpoint, head = locked
        if checkpoint.state == Checkpoint.State.FAILED:
            return Step(0, more=False)
        if checkpoint.state == Checkpoint.State.REBUILDING:
            if checkpoint.updated_at > timezone.now() - REBUILD_START_GRACE:
                return Step(0, more=False)  # a rebuild marked it and is about to take this lock
            checkpoint.state = Checkpoint.State.RUNNING  # left by a rebuild that died
        # Everything at or below the head is committed (positions are assigned in commit
        # order), so the checkpoint may jump to it past events we don't handle.
        if head <= checkpoint.position:
            return Step(0, more=False)
        batch = [
            event
            for event in store.read_all(
                checkpoint.position, limit, subscriber.event_types, metadata=subscriber.reads_metadata
            )
            if event.position <= head
        ]
        if batch:
            try:
                subscriber.handle_batch(batch)
            except Exception as error:
                raise BatchFailed(batch[0], error) from error
        full = len(batch) == limit
        checkpoint.position = batch[-1].position if full else head
        checkpoint.save(update_fields=["position", "state", "updated_at"])
        return Step(len(batch), more=full)


def mark_failed(subscriber: Subscriber, failure: BatchFailed) -> None:
    with transaction.atomic(using=subscription_db()):
        checkpoint = lock_checkpoint(subscriber.name)
        if checkpoint.position >= failure.first.position:
            return  # another runner handled the event meanwhile: nothing is stuck
        checkpoint.state = Checkpoint.State.FAILED
        checkpoint.failed_position = failure.first.position
        checkpoint.last_error = (
            f"{failure.first.event_type} #{failure.first.position} (event {failure.first.event_id}): {failure}"
        )
        checkpoint.last_traceback = "".join(traceback.format_exception(failure.error))
        checkpoint.save()
    logger.error("subscriber %s stopped at event #%s: %s", subscriber.name, failure.first.position, failure)


def run_one_at_a_time(subscriber: Subscriber, store: EventStore, count: int) -> Step:
    """Handle up to `count` events one per transaction, retrying a failing one with backoff."""
    handled = 0
    for _ in range(count):
        for attempt in range(settings.EVENTSTORE_HANDLER_RETRIES + 1):
            try:
                step = run_batch(subscriber, store, 1)
                break
            except BatchFailed as failure:
                if attempt == settings.EVENTSTORE_HANDLER_RETRIES:
                    mark_failed(subscriber, failure)
                    return Step(handled, more=False)
                delay = settings.EVENTSTORE_RETRY_BACKOFF_SECONDS * 2**attempt
                logger.warning("subscriber %s: %s; retry %s in %.2fs", subscriber.name, failure, attempt + 1, delay)
                time.sleep(delay)
        handled += step.handled
        if not step.more:
            return Step(handled, more=False)
    return Step(handled, more=True)


def rebuild_in_progress(name: str) -> bool:
    """True while a live rebuild holds this subscriber's checkpoint lock.

    A `rebuilding` mark whose row is not locked is left by a rebuild that died (its
    transaction rolled back, so the old read model and checkpoint stand); it is ignored.
    """
    with transaction.atomic(using=subscription_db()):
        return not Checkpoint.objects.select_for_update(skip_locked=True).filter(name=name).exists()


def catch_up(subscriber: Subscriber, batch_size: int | None = None, store: EventStore | None = None) -> int:
    """Feed `subscriber` every event after its checkpoint, batch by batch; return how many."""
    batch_size = batch_size or subscriber.batch_size or settings.EVENTSTORE_BATCH_SIZE
    store = store or EventStore()
    handled = 0  # a missing checkpoint, and a live rebuild, are seen to by `lock_for_batch`
    while True:
        try:
            step = run_batch(subscriber, store, batch_size)
        except BatchFailed:
            # Keep what precedes the bad event; isolate and retry the bad one.
            step = run_one_at_a_time(subscriber, store, batch_size)
        handled += step.handled
        if not step.more:
            return handled


def catch_up_all(batch_size: int | None = None) -> dict[str, int]:
    """Catch up every registered subscriber; one failing does not stop the others."""
    results = {}
    for subscriber in registered_subscribers():
        try:
            results[subscriber.name] = catch_up(subscriber, batch_size)
        except Exception:
            logger.exception("subscriber %s could not catch up; its checkpoint did not move", subscriber.name)
    return results

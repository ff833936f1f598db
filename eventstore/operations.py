"""What an operator does to subscribers: see their status, retry, skip an event, rebuild.

Used by the admin, the management commands and the status API alike. Checkpoints, skip
records and read models change in transactions on `subscription_db()`; events are only read.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from eventstore.models import Checkpoint, Event, SkippedEvent
from eventstore.routers import subscription_db
from eventstore.store import EventStore
from eventstore.subscriptions import Subscriber, catch_up, ensure_checkpoint, lock_checkpoint, registered_subscribers


class OperationRefused(Exception):
    """The subscriber is not in a state where this operation makes sense."""


@dataclass(frozen=True)
class SubscriberStatus:
    name: str
    position: int
    head: int
    lag: int
    lag_seconds: float
    state: str  # running, catching_up, failed or rebuilding
    last_error: str


def subscriber_statuses(subscribers: tuple[Subscriber, ...] | None = None) -> list[SubscriberStatus]:
    """Where each subscriber is, how far behind the head of the log, and whether it is healthy."""
    subscribers = registered_subscribers() if subscribers is None else subscribers
    head = EventStore().head()
    checkpoints = Checkpoint.objects.in_bulk([s.name for s in subscribers])
    now = timezone.now()
    backlog: dict[int, tuple[int, datetime | None]] = {}  # subscribers at one position share a count

    def behind(position: int) -> tuple[int, datetime | None]:
        if position not in backlog:
            events = Event.objects.filter(position__gt=position)
            lag = events.count() if head > position else 0
            oldest = events.order_by("position").values_list("recorded_at", flat=True).first() if lag else None
            backlog[position] = (lag, oldest)
        return backlog[position]

    statuses = []
    for subscriber in subscribers:
        checkpoint = checkpoints.get(subscriber.name) or Checkpoint(name=subscriber.name)
        lag, oldest = behind(checkpoint.position)
        state = checkpoint.state
        if state == Checkpoint.State.RUNNING and lag:
            state = "catching_up"
        statuses.append(
            SubscriberStatus(
                name=subscriber.name,
                position=checkpoint.position,
                head=head,
                lag=lag,
                lag_seconds=round((now - oldest).total_seconds(), 3) if oldest else 0.0,
                state=state,
                last_error=checkpoint.last_error,
            )
        )
    return statuses


def retry(subscriber: Subscriber) -> int:
    """Clear a failed subscriber's error and let it try its stopping event again."""
    clear_for_retry(subscriber)
    return catch_up(subscriber)


def clear_for_retry(subscriber: Subscriber) -> None:
    """Clear a failed subscriber's error so its next catch-up tries the stopping event again.

    The admin calls this alone and hands the catch-up to a worker: over a big backlog it
    would not fit in a web request.
    """
    ensure_checkpoint(subscriber.name)
    with transaction.atomic(using=subscription_db()):
        checkpoint = lock_checkpoint(subscriber.name)
        if checkpoint.state != Checkpoint.State.FAILED:
            raise OperationRefused(f"{subscriber.name} is {checkpoint.state}, not failed; there is nothing to retry.")
        clear_failure(checkpoint)


def skip(subscriber: Subscriber, *, by: str, reason: str) -> SkippedEvent:
    """Let a failed subscriber pass the one event it stopped at, recording who and why, and go on."""
    record = record_skip(subscriber, by=by, reason=reason)
    catch_up(subscriber)
    return record


def record_skip(subscriber: Subscriber, *, by: str, reason: str) -> SkippedEvent:
    """Move a failed subscriber past the event it stopped at and record who and why; no catch-up."""
    if not reason.strip():
        raise OperationRefused("Say why the event is skipped; the reason is kept with the record.")
    ensure_checkpoint(subscriber.name)
    with transaction.atomic(using=subscription_db()):
        checkpoint = lock_checkpoint(subscriber.name)
        if checkpoint.state != Checkpoint.State.FAILED or checkpoint.failed_position is None:
            raise OperationRefused(f"{subscriber.name} is {checkpoint.state}, not failed; there is no event to skip.")
        event = Event.objects.filter(position=checkpoint.failed_position).first()
        record = SkippedEvent.objects.create(
            subscriber=subscriber.name,
            position=checkpoint.failed_position,
            event_id=event.event_id if event else None,
            event_type=event.event_type if event else "",
            error=checkpoint.last_error,
            skipped_by=by,
            reason=reason.strip(),
        )
        # Every event between the checkpoint and the failed one is of a type this subscriber
        # does not handle (they were read one at a time), so this passes exactly one event.
        # Never backwards: that would apply events a second time.
        checkpoint.position = max(checkpoint.position, checkpoint.failed_position)
        clear_failure(checkpoint)
    return record


def clear_failure(checkpoint: Checkpoint) -> None:
    checkpoint.state = Checkpoint.State.RUNNING
    checkpoint.failed_position = None
    checkpoint.last_error = ""
    checkpoint.last_traceback = ""
    checkpoint.save()


@dataclass(frozen=True)
class RebuildResult:
    name: str
    events: int
    seconds: float

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


Progress = Callable[[int, int], None]  # (position reached, head)


def rebuild(subscriber: Subscriber, batch_size: int = 2000, progress: Progress | None = None) -> RebuildResult:
    """Replay the whole log into `subscriber` from position 0, in one transaction.

    Readers keep seeing the old, complete read model until the commit swaps in the new one
    (MVCC), so the API never serves a half-built table. Commands keep arriving meanwhile;
    the replay keeps reading until it has reached the head, then commits.
    """
    store = EventStore()
    ensure_checkpoint(subscriber.name)
    previous_state = Checkpoint.objects.filter(name=subscriber.name).values_list("state", flat=True).first()
    # Events an operator skipped stay skipped: replaying one would fail the rebuild again.
    skipped = set(SkippedEvent.objects.filter(subscriber=subscriber.name).values_list("position", flat=True))
    # Visible to status readers (and to workers, which then leave this subscriber alone)
    # while the rebuild's own transaction holds the checkpoint lock.
    Checkpoint.objects.filter(name=subscriber.name).update(state=Checkpoint.State.REBUILDING, updated_at=timezone.now())
    started = time.perf_counter()
    replayed = 0
    try:
        with transaction.atomic(using=subscription_db()):
            checkpoint = lock_checkpoint(subscriber.name)
            subscriber.reset()
            position = 0
            while True:
                head = store.head()
                if position >= head:
                    break
                read = [e for e in store.read_all(position, batch_size, subscriber.event_types) if e.position <= head]
                batch = [e for e in read if e.position not in skipped]
                if batch:
                    subscriber.handle_batch(batch)
                replayed += len(batch)
                position = read[-1].position if len(read) == batch_size else head
                if progress:
                    progress(position, head)
            checkpoint.position = position
            clear_failure(checkpoint)
    except BaseException:
        if previous_state in (None, Checkpoint.State.REBUILDING):
            previous_state = Checkpoint.State.RUNNING
        Checkpoint.objects.filter(name=subscriber.name, state=Checkpoint.State.REBUILDING).update(state=previous_state)
        raise
    # Wake-ups for events committed while the rebuild held the lock were dropped; take them now.
    catch_up(subscriber)
    return RebuildResult(subscriber.name, replayed, time.perf_counter() - started)

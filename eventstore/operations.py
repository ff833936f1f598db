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

from eventstore import generations
from eventstore.models import Checkpoint, Event, Rebuild, SkippedEvent
from eventstore.routers import subscription_db
from eventstore.store import EventStore
from eventstore.subscriptions import (
    Subscriber,
    catch_up,
    clear_checkpoint_failure,
    ensure_checkpoint,
    lock_checkpoint,
    registered_subscribers,
)


class OperationRefused(Exception):
    """The subscriber is not in a state where this operation makes sense."""


@dataclass(frozen=True)
class RebuildProgress:
    """A blue/green rebuild under way (or interrupted, to resume): how far, how fast, how long to go."""

    state: str  # running, or interrupted (its process died or failed: run the rebuild again to resume)
    position: int  # the new generation's checkpoint
    head: int  # the log's head when it last moved
    events: int  # events handled so far
    events_per_second: float
    eta_seconds: float | None
    started_at: datetime
    updated_at: datetime
    last_error: str


@dataclass(frozen=True)
class SubscriberStatus:
    name: str
    position: int
    head: int
    lag: int
    lag_seconds: float
    state: str  # running, catching_up, failed or rebuilding
    last_error: str
    rebuild: RebuildProgress | None = None


def rebuild_progress(record: Rebuild, running: bool) -> RebuildProgress:
    return RebuildProgress(
        state="running" if running else "interrupted",
        position=record.position,
        head=record.head,
        events=record.events,
        events_per_second=round(record.events_per_second, 1),
        eta_seconds=record.eta_seconds if running else None,
        started_at=record.started_at,
        updated_at=record.updated_at,
        last_error=record.last_error,
    )


def lag_after(position: int, head: int) -> int:
    """Events after `position` up to `head`, from positions (one index look-up, no count)."""
    if head <= position:
        return 0
    first = Event.objects.filter(position__gt=position).order_by("position").values_list("position", flat=True)
    found = first.first()
    return head - found + 1 if found is not None else 0


def subscriber_statuses(subscribers: tuple[Subscriber, ...] | None = None) -> list[SubscriberStatus]:
    """Where each subscriber is, how far behind the head of the log, and whether it is healthy.

    Lag is counted in positions, never by counting rows: head − (the first position after the
    checkpoint) + 1. Positions are handed out one by one at commit, so that is the number of
    events not yet handled (a commit that failed after numbering leaves a gap, which is counted too).
    """
    subscribers = registered_subscribers() if subscribers is None else subscribers
    head = EventStore().head()
    names = [s.name for s in subscribers]
    checkpoints = Checkpoint.objects.in_bulk(names)
    rebuilds = Rebuild.objects.filter(name__in=names, state=Rebuild.State.BUILDING).in_bulk()
    running = generations.running_rebuilds(subscription_db(), list(rebuilds.values()))
    now = timezone.now()
    first: dict[int, tuple[int, datetime] | None] = {}  # subscribers at one position share a look-up

    def first_after(position: int) -> tuple[int, datetime] | None:
        if position not in first and head > position:
            # The primary key's index: one row, however long the backlog.
            events = Event.objects.filter(position__gt=position).order_by("position")
            first[position] = events.values_list("position", "recorded_at").first()
        return first.get(position)

    statuses = []
    for subscriber in subscribers:
        checkpoint = checkpoints.get(subscriber.name) or Checkpoint(name=subscriber.name)
        unhandled = first_after(checkpoint.position)
        # From the first unhandled event, not the checkpoint: a log need not start at 1.
        lag = head - unhandled[0] + 1 if unhandled else 0
        first_unhandled = unhandled[1] if unhandled else None
        record = rebuilds.get(subscriber.name)
        progress = rebuild_progress(record, record.name in running) if record else None
        state = checkpoint.state
        if state == Checkpoint.State.RUNNING and progress and progress.state == "running":
            state = Checkpoint.State.REBUILDING
        elif state == Checkpoint.State.RUNNING and lag:
            state = "catching_up"
        statuses.append(
            SubscriberStatus(
                name=subscriber.name,
                position=checkpoint.position,
                head=head,
                lag=lag,
                lag_seconds=round((now - first_unhandled).total_seconds(), 3) if first_unhandled else 0.0,
                state=state,
                last_error=checkpoint.last_error,
                rebuild=progress,
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


clear_failure = clear_checkpoint_failure


@dataclass(frozen=True)
class RebuildResult:
    name: str
    events: int
    seconds: float
    resumed_from: int = 0  # the log position a resumed rebuild started at

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


Progress = Callable[[int, int], None]  # (position reached, head)


def rebuild(subscriber: Subscriber, batch_size: int = 2000, progress: Progress | None = None) -> RebuildResult:
    """Replay the whole log into `subscriber` from position 0.

    On PostgreSQL, a projection that names its tables gets a blue/green rebuild: a new
    generation built in committed chunks beside the live one, which keeps serving and
    catching up, then swapped in (`eventstore.generations`); a rebuild that died resumes.
    Otherwise (SQLite, sagas) it is one transaction, `rebuild_in_one_transaction`.
    """
    ensure_checkpoint(subscriber.name)
    if generations.supported(subscriber):
        started = time.perf_counter()
        outcome = generations.rebuild(subscriber, batch_size, progress)
        # Wake-ups the workers dropped while the swap held the checkpoint: take them now.
        catch_up(subscriber)
        return RebuildResult(subscriber.name, outcome.events, time.perf_counter() - started, outcome.resumed_from)
    return rebuild_in_one_transaction(subscriber, batch_size, progress)


def rebuild_in_one_transaction(
    subscriber: Subscriber, batch_size: int = 2000, progress: Progress | None = None
) -> RebuildResult:
    """Replay the whole log into `subscriber` from position 0, in one transaction.

    Readers keep seeing the old, complete read model until the commit swaps in the new one
    (MVCC), so the API never serves a half-built table. Commands keep arriving meanwhile;
    the replay keeps reading until it has reached the head, then commits. Workers leave the
    subscriber alone meanwhile, and a rebuild that dies starts over.
    """
    store = EventStore()
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

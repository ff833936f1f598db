"""Subscribers (projections, sagas) and the catch-up loop that feeds them from the log.

Each subscriber has its own checkpoint. A catch-up takes the checkpoint row with
`SELECT … FOR UPDATE`, so two workers never run the same subscriber at once (the second
waits, then sees the moved checkpoint), while different subscribers run in parallel. The
batch's effects and the new checkpoint commit in one transaction: a crash mid-batch
leaves neither, and a duplicated wake-up finds nothing left to do.
"""

import logging
from collections.abc import Callable, Sequence
from functools import cache
from typing import ClassVar

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.module_loading import import_string

from eventstore.models import Checkpoint
from eventstore.store import EventStore, RecordedEvent

logger = logging.getLogger(__name__)


def handles(*event_types: str) -> Callable:
    """Mark a subscriber method as the handler of the given stored event types."""

    def mark(method: Callable) -> Callable:
        method.handles_event_types = event_types
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

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        cls.handlers = {
            event_type: attr
            for attr in dir(cls)
            for event_type in getattr(getattr(cls, attr, None), "handles_event_types", ())
        }

    @property
    def event_types(self) -> list[str]:
        return sorted(self.handlers)

    def handle_batch(self, events: Sequence[RecordedEvent]) -> None:
        """Apply a batch of events, in order. Runs inside the checkpoint's transaction."""
        for event in events:
            self.handle(event)

    def handle(self, event: RecordedEvent) -> None:
        method = self.handlers.get(event.event_type)
        if method is not None:
            getattr(self, method)(event)

    def reset(self) -> None:
        """Delete everything this subscriber built, before a replay from position 0."""


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
    try:
        Checkpoint.objects.get_or_create(name=name)
    except IntegrityError:
        pass  # another worker created it at the same moment


def catch_up(subscriber: Subscriber, batch_size: int | None = None, store: EventStore | None = None) -> int:
    """Feed `subscriber` every event after its checkpoint, batch by batch; return how many."""
    batch_size = batch_size or settings.EVENTSTORE_BATCH_SIZE
    store = store or EventStore()
    ensure_checkpoint(subscriber.name)
    handled = 0
    while True:
        with transaction.atomic():
            checkpoint = Checkpoint.objects.select_for_update().get(name=subscriber.name)
            # Everything at or below the head is committed (positions are assigned in
            # commit order), so the checkpoint may jump to it past events we don't handle.
            head = store.head()
            if head <= checkpoint.position:
                return handled
            batch = [
                event
                for event in store.read_all(checkpoint.position, batch_size, subscriber.event_types)
                if event.position <= head
            ]
            subscriber.handle_batch(batch)
            full = len(batch) == batch_size
            checkpoint.position = batch[-1].position if full else head
            checkpoint.save(update_fields=["position", "updated_at"])
            handled += len(batch)


def catch_up_all(batch_size: int | None = None) -> dict[str, int]:
    """Catch up every registered subscriber; one failing does not stop the others."""
    results = {}
    for subscriber in registered_subscribers():
        try:
            results[subscriber.name] = catch_up(subscriber, batch_size)
        except Exception:
            logger.exception("subscriber %s failed; its checkpoint did not move", subscriber.name)
    return results


def all_caught_up_to(position: int) -> bool:
    """True when every registered subscriber's checkpoint is at or past `position`."""
    names = [s.name for s in registered_subscribers()]
    done = Checkpoint.objects.filter(name__in=names, position__gte=position).count()
    return done == len(names)

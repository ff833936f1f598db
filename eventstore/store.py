"""`EventStore`: append to a stream with optimistic concurrency, load a stream, read the log.

Gap-free reading. A PostgreSQL sequence hands out positions before commit, so a reader
following `position > checkpoint` could pass a row that commits late and never see it.
We serialize position assignment: every append takes one transaction-scoped advisory lock
before it inserts, held until its transaction ends. A row with a higher position therefore
can never commit before a row with a lower one, and `position > checkpoint` is safe. It is
the mechanism of the `eventsourcing` library (which takes a table lock), narrowed to event
writers only: readers never wait. SQLite already serializes all writers.
"""

import functools
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar
from uuid import UUID

from celery import current_app
from django.db import IntegrityError, connection, transaction
from django.db.models import Max

from eventstore.models import Event

logger = logging.getLogger(__name__)

# Any constant works; it only has to be the same in every writer.
POSITION_LOCK_KEY = 0x45564E54  # "EVNT"
WAKE_TASK = "eventstore.tasks.wake_subscribers"


class ConcurrencyError(Exception):
    """The stream is not at the version the writer expected: somebody else wrote first."""

    def __init__(self, stream_id: str, expected_version: int, actual_version: int | None = None) -> None:
        self.stream_id = stream_id
        self.expected_version = expected_version
        self.actual_version = actual_version
        actual = "" if actual_version is None else f", but it is at version {actual_version}"
        super().__init__(f"stream {stream_id} was expected at version {expected_version}{actual}")


@dataclass(frozen=True)
class NewEvent:
    """An event to append: its type name, JSON data and metadata."""

    event_type: str
    data: dict
    metadata: dict = field(default_factory=dict)
    schema_version: int = 1


@dataclass(frozen=True)
class RecordedEvent:
    """An event as stored in the log."""

    position: int
    event_id: UUID
    stream_type: str
    stream_id: str
    version: int
    event_type: str
    schema_version: int
    data: dict
    metadata: dict
    recorded_at: datetime

    # Read paths fetch these columns as tuples: building model instances first costs
    # about a third of a projection rebuild.
    COLUMNS: ClassVar[tuple[str, ...]] = (
        "position",
        "event_id",
        "stream_type",
        "stream_id",
        "version",
        "event_type",
        "schema_version",
        "data",
        "metadata",
        "recorded_at",
    )

    @classmethod
    def from_row(cls, row: Event) -> "RecordedEvent":
        return cls(
            position=row.position,
            event_id=row.event_id,
            stream_type=row.stream_type,
            stream_id=row.stream_id,
            version=row.version,
            event_type=row.event_type,
            schema_version=row.schema_version,
            data=row.data,
            metadata=row.metadata,
            recorded_at=row.recorded_at,
        )


@dataclass(frozen=True)
class AppendResult:
    stream_id: str
    version: int
    position: int
    events: tuple[RecordedEvent, ...]


def _notify_subscribers(position: int) -> None:
    try:
        # By name, so the store does not import the subscriber machinery that reads it.
        current_app.send_task(WAKE_TASK, args=[position])
    except Exception:
        # The events are committed; the periodic sweep will deliver them. The client's
        # command succeeded and must not see a broker failure.
        logger.exception("could not enqueue the subscriber wake-up for position %s", position)


class EventStore:
    """The append-only log. Every method runs on the `default` database."""

    using = "default"

    def stream_version(self, stream_id: str) -> int:
        """The stream's current version; 0 when it has no events."""
        current = Event.objects.using(self.using).filter(stream_id=stream_id).aggregate(v=Max("version"))["v"]
        return current or 0

    def append(
        self,
        stream_id: str,
        stream_type: str,
        events: Sequence[NewEvent],
        expected_version: int | None,
    ) -> AppendResult:
        """Append `events` after `expected_version` (None: whatever the stream is at).

        Raises `ConcurrencyError` when the stream is not at `expected_version`. Subscribers
        are woken after the surrounding transaction commits, never before.
        """
        if not events:
            raise ValueError("append needs at least one event")
        stream_id = str(stream_id)
        with transaction.atomic(using=self.using):
            self._lock_positions()
            current = self.stream_version(stream_id)
            if expected_version is not None and current != expected_version:
                raise ConcurrencyError(stream_id, expected_version, current)
            rows = [
                Event(
                    stream_type=stream_type,
                    stream_id=stream_id,
                    version=current + offset,
                    event_type=event.event_type,
                    schema_version=event.schema_version,
                    data=event.data,
                    metadata=event.metadata,
                )
                for offset, event in enumerate(events, start=1)
            ]
            try:
                # A savepoint, so a lost race leaves the caller's transaction usable.
                with transaction.atomic(using=self.using):
                    Event.objects.using(self.using).bulk_create(rows)
            except IntegrityError as error:
                # The one place a database uniqueness failure becomes a ConcurrencyError.
                raise ConcurrencyError(stream_id, current) from error
            position = rows[-1].position
            transaction.on_commit(functools.partial(_notify_subscribers, position), using=self.using, robust=True)
        return AppendResult(
            stream_id=stream_id,
            version=rows[-1].version,
            position=position,
            events=tuple(RecordedEvent.from_row(row) for row in rows),
        )

    def _lock_positions(self) -> None:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [POSITION_LOCK_KEY])

    def load(self, stream_id: str, after_version: int = 0) -> list[RecordedEvent]:
        """Every event of one stream after `after_version`, in version order."""
        rows = Event.objects.using(self.using).filter(stream_id=str(stream_id), version__gt=after_version)
        return [RecordedEvent(*values) for values in rows.order_by("version").values_list(*RecordedEvent.COLUMNS)]

    def read_all(
        self, after_position: int = 0, limit: int = 500, event_types: Sequence[str] | None = None
    ) -> list[RecordedEvent]:
        """Up to `limit` events of the whole log after `after_position`, in position order."""
        rows = Event.objects.using(self.using).filter(position__gt=after_position)
        if event_types is not None:
            rows = rows.filter(event_type__in=event_types)
        rows = rows.order_by("position").values_list(*RecordedEvent.COLUMNS)[:limit]
        return [RecordedEvent(*values) for values in rows]

    def iter_all(self, after_position: int = 0, batch_size: int = 500) -> Iterator[RecordedEvent]:
        """The whole log after `after_position`, fetched in batches so memory stays bounded."""
        while batch := self.read_all(after_position, batch_size):
            yield from batch
            after_position = batch[-1].position

    def head(self) -> int:
        """The position of the last event in the log (0 when empty)."""
        return Event.objects.using(self.using).aggregate(p=Max("position"))["p"] or 0

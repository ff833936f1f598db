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

from django.db import IntegrityError, connection, transaction
from django.db.models import Max

from eventstore.models import Event
from eventstore.upcasting import Upcasters, registered_upcasters
from eventstore.wakeups import request_wake_up

logger = logging.getLogger(__name__)

# Any constant works; it only has to be the same in every writer.
POSITION_LOCK_KEY = 0x45564E54  # "EVNT"


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

    @classmethod
    def from_values(cls, values: Sequence, upcasters: Upcasters) -> "RecordedEvent":
        """A row fetched as `COLUMNS`, its data upcast to the current shape of its event type."""
        event_type = values[5]
        if not upcasters.handles(event_type):
            return cls(*values)
        schema_version, data = upcasters.upcast(event_type, values[6], values[7])
        return cls(*values[:6], schema_version, data, *values[8:])


@dataclass(frozen=True)
class AppendResult:
    stream_id: str
    version: int
    position: int
    events: tuple[RecordedEvent, ...]


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
        # No savepoint (two round trips saved on every append). A version mismatch is
        # raised after the block, so the caller's transaction stays usable; only a lost
        # race on the unique index, which PostgreSQL answers by aborting the transaction,
        # leaves it unusable (a command then fails whole, and its retry starts afresh).
        with transaction.atomic(using=self.using, savepoint=False):
            current = self._lock_positions_and_read_version(stream_id)
            if expected_version is not None and current != expected_version:
                rows = []
            else:
                rows = self._insert(stream_id, stream_type, events, current, expected_version)
        if not rows:
            raise ConcurrencyError(stream_id, expected_version, current)
        return AppendResult(
            stream_id=stream_id,
            version=rows[-1].version,
            position=rows[-1].position,
            events=tuple(RecordedEvent.from_row(row) for row in rows),
        )

    def _insert(
        self, stream_id: str, stream_type: str, events: Sequence[NewEvent], current: int, expected_version: int | None
    ) -> list[Event]:
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
            Event.objects.using(self.using).bulk_create(rows)
        except IntegrityError as error:
            # The one place a database uniqueness failure becomes a ConcurrencyError.
            raise ConcurrencyError(stream_id, current if expected_version is None else expected_version) from error
        transaction.on_commit(functools.partial(request_wake_up, rows[-1].position), using=self.using, robust=True)
        return rows

    def _lock_positions_and_read_version(self, stream_id: str) -> int:
        """Take the position lock (PostgreSQL) and read the stream's version, in one round trip.

        The version is read in a snapshot taken before the lock was granted, so it may be
        stale when another append to the same stream committed meanwhile; the insert then
        hits `UNIQUE(stream_id, version)` and the caller gets the `ConcurrencyError` it
        would have got anyway.
        """
        if connection.vendor != "postgresql":
            return self.stream_version(stream_id)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT pg_advisory_xact_lock(%s), "
                f"(SELECT coalesce(max(version), 0) FROM {Event._meta.db_table} WHERE stream_id = %s)",
                [POSITION_LOCK_KEY, stream_id],
            )
            return cursor.fetchone()[1]

    def load(
        self,
        stream_id: str,
        after_version: int = 0,
        *,
        up_to_version: int | None = None,
        recorded_until: datetime | None = None,
    ) -> list[RecordedEvent]:
        """Every event of one stream after `after_version`, in version order, upcast to the current shape.

        `up_to_version` and `recorded_until` (inclusive) cut the stream off at a point in its past.
        """
        rows = Event.objects.using(self.using).filter(stream_id=str(stream_id), version__gt=after_version)
        if up_to_version is not None:
            rows = rows.filter(version__lte=up_to_version)
        if recorded_until is not None:
            rows = rows.filter(recorded_at__lte=recorded_until)
        upcasters = registered_upcasters()
        values = rows.order_by("version").values_list(*RecordedEvent.COLUMNS)
        return [RecordedEvent.from_values(row, upcasters) for row in values]

    def read_all(
        self, after_position: int = 0, limit: int = 500, event_types: Sequence[str] | None = None
    ) -> list[RecordedEvent]:
        """Up to `limit` events of the whole log after `after_position`, in position order, upcast."""
        rows = Event.objects.using(self.using).filter(position__gt=after_position)
        if event_types is not None:
            rows = rows.filter(event_type__in=event_types)
        rows = rows.order_by("position").values_list(*RecordedEvent.COLUMNS)[:limit]
        upcasters = registered_upcasters()
        return [RecordedEvent.from_values(values, upcasters) for values in rows]

    def iter_all(self, after_position: int = 0, batch_size: int = 500) -> Iterator[RecordedEvent]:
        """The whole log after `after_position`, fetched in batches so memory stays bounded."""
        while batch := self.read_all(after_position, batch_size):
            yield from batch
            after_position = batch[-1].position

    def head(self) -> int:
        """The position of the last event in the log (0 when empty)."""
        return Event.objects.using(self.using).aggregate(p=Max("position"))["p"] or 0

"""`EventStore`: append to a stream with optimistic concurrency, load a stream, read the log.

Gap-free reading. A PostgreSQL sequence hands out numbers before commit, so a reader
following `position > checkpoint` could pass a row that commits late and never see it.
Positions are therefore handed out at commit (migration 0006): a row is inserted with a
provisional, negative position, and a deferred constraint trigger numbers the
transaction's rows while it commits, under one advisory lock that is held to the end of
that commit. Positions are so assigned in commit order, and `position > checkpoint` is
safe; per-stream order follows, because a stream's next version can only be written
after its previous one committed. Writers insert side by side and queue only for the
numbering and the commit itself, not for their whole command (docs/performance.md has
the measurements that chose this design over a lock from insert to commit and over a
transaction-id horizon). SQLite serializes all writers on its own and numbers at insert.

A transaction's own rows carry their provisional positions until it commits: the real
position of an append is known only afterwards (`AppendResult.position`,
`EventStore.position_of`).
"""

import functools
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID, uuid4

from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, IntegrityError, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Max
from django.utils import timezone
from psycopg.types.json import Jsonb
from psycopg.types.numeric import Int8

from eventstore import companions
from eventstore.companions import CompanionWrite
from eventstore.db import hot_cursor, loads
from eventstore.models import Event
from eventstore.personal.keys import INSERT_NEW_SQL, DataKey, take_pending_keys
from eventstore.personal.sealing import open_one, open_rows
from eventstore.upcasting import Upcasters, registered_upcasters
from eventstore.wakeups import request_wake_up

logger = logging.getLogger(__name__)

# The key of the numbering lock, taken by the trigger of migration 0006 (any constant works;
# it only has to be the same everywhere).
POSITION_LOCK_KEY = 0x45564E54  # "EVNT"

TABLE = Event._meta.db_table

# One statement appends all of a command's events: the version check is part of it (no
# event is written unless the stream is where the writer expects it, read after every
# earlier commit), the rows arrive as arrays, and the position comes from the column's
# provisional default. Prepared once per connection.
APPEND_SQL = f"""
INSERT INTO {TABLE} (event_id, stream_type, stream_id, version, event_type, schema_version, data, metadata,
                     recorded_at)
SELECT e.event_id, %(stream_type)s, %(stream_id)s, current.version + e.n, e.event_type, e.schema_version, e.data,
       e.metadata, %(recorded_at)s
  FROM unnest(%(event_ids)s::uuid[], %(event_types)s::text[], %(schema_versions)s::int2[], %(data)s::jsonb[],
              %(metadata)s::jsonb[]) WITH ORDINALITY AS e(event_id, event_type, schema_version, data, metadata, n),
       (SELECT coalesce(max(version), 0) AS version FROM {TABLE} WHERE stream_id = %(stream_id)s) AS current
 WHERE %(expected_version)s::int4 IS NULL OR current.version = %(expected_version)s::int4
 ORDER BY e.n
RETURNING version, position
"""
# The same for the most common append, one event: plain parameters instead of arrays
# (psycopg's array adaptation and the server's unnest cost ~0.2 ms of a 1.7 ms command).
APPEND_ONE_SQL = f"""
INSERT INTO {TABLE} (event_id, stream_type, stream_id, version, event_type, schema_version, data, metadata,
                     recorded_at)
SELECT %(event_id)s, %(stream_type)s, %(stream_id)s, current.version + 1, %(event_type)s, %(schema_version)s,
       %(data)s, %(metadata)s, %(recorded_at)s
  FROM (SELECT coalesce(max(version), 0) AS version FROM {TABLE} WHERE stream_id = %(stream_id)s) AS current
 WHERE %(expected_version)s::int4 IS NULL OR current.version = %(expected_version)s::int4
RETURNING version, position
"""
# The one-event statement's parameter for each array of the many-event one.
ONE_OF = {
    "event_id": "event_ids",
    "event_type": "event_types",
    "schema_version": "schema_versions",
    "data": "data",
    "metadata": "metadata",
}
POSITION_SQL = f"SELECT position FROM {TABLE} WHERE stream_id = %s AND version = %s"
HEAD_SQL = f"SELECT coalesce(max(position), 0) FROM {TABLE}"
# `read_all` on PostgreSQL: one statement per (with metadata, filtered by event type), each
# prepared once per connection. The positions are sent as int8 whatever their size, so each
# statement keeps one prepared form (psycopg picks int2/int4/int8 by value otherwise). The
# metadata comes as text and is decoded only when read (`RecordedEvent.metadata`).
READ_ALL_SQL = {
    (with_metadata, filtered): (
        "SELECT position, event_id, stream_type, stream_id, version, event_type, schema_version, data, "
        + ("metadata::text, " if with_metadata else "")
        + f"recorded_at FROM {TABLE} WHERE position > %s"
        + (" AND event_type = ANY(%s::text[])" if filtered else "")
        + " ORDER BY position LIMIT %s"
    )
    for with_metadata in (True, False)
    for filtered in (True, False)
}


class ConcurrencyError(Exception):
    """The stream is not at the version the writer expected: somebody else wrote first."""

    def __init__(self, stream_id: str, expected_version: int | None, actual_version: int | None = None) -> None:
        self.stream_id = stream_id
        self.expected_version = expected_version
        self.actual_version = actual_version
        if expected_version is None:  # a concurrent writer took the version this append was writing
            super().__init__(f"stream {stream_id} was written by another writer at the same time")
            return
        actual = "" if actual_version is None else f", but it is at version {actual_version}"
        super().__init__(f"stream {stream_id} was expected at version {expected_version}{actual}")


@dataclass(frozen=True)
class NewEvent:
    """An event to append: its type name, JSON data and metadata."""

    event_type: str
    data: dict[str, Any]
    metadata: dict[str, Any] = field(default_factory=dict)
    schema_version: int = 1


# Kept on Django's connection wrapper, which is per thread and per alias like a transaction.
LAST_APPEND_ATTRIBUTE = "eventstore_last_append"


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
    data: dict[str, Any]
    metadata: dict[str, Any]
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

    if not TYPE_CHECKING:  # hidden from mypy, which would otherwise accept any attribute name

        def __getattr__(self, name: str) -> Any:
            # Called only for an attribute that is not set: the metadata of an event read with
            # it still encoded (`EventStore.read_all`), decoded on first use and kept.
            if name == "metadata" and RAW_METADATA in self.__dict__:
                value = self.__dict__["metadata"] = loads(self.__dict__[RAW_METADATA])
                self.__dict__.pop(RAW_METADATA, None)  # decoded first, so a failed decode loses nothing
                return value
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    @classmethod
    def from_row(cls, row: Event) -> "RecordedEvent":
        """The row as stored, with its sealed personal fields opened (not upcast)."""
        return cls(
            position=row.position,
            event_id=row.event_id,
            stream_type=row.stream_type,
            stream_id=row.stream_id,
            version=row.version,
            event_type=row.event_type,
            schema_version=row.schema_version,
            data=open_one(row.data),
            metadata=row.metadata,
            recorded_at=row.recorded_at,
        )

    @classmethod
    def from_values(cls, values: Sequence[Any], upcasters: Upcasters) -> "RecordedEvent":
        """A row fetched as `COLUMNS`, its data upcast to the current shape of its event type."""
        event_type = values[5]
        if not upcasters.handles(event_type):
            return cls(*values)
        schema_version, data = upcasters.upcast(event_type, values[6], values[7])
        position, event_id, stream_type, stream_id, version, _, _, _, metadata, recorded_at = values
        return cls(
            position, event_id, stream_type, stream_id, version, event_type, schema_version, data, metadata, recorded_at
        )


# Sealed personal fields (`eventstore.personal`) are opened before upcasting, so upcasters
# and every reader see the plain shape, with forgotten fields as None.
DATA_COLUMN = RecordedEvent.COLUMNS.index("data")
# Where `read_all` keeps an event's metadata until it is first read (JSON text).
RAW_METADATA = "_metadata_json"
# The attributes `read_all` sets from its rows on PostgreSQL, in the order of its columns.
READ_KEYS = tuple(RAW_METADATA if column == "metadata" else column for column in RecordedEvent.COLUMNS)
READ_KEYS_NO_METADATA = tuple(column for column in RecordedEvent.COLUMNS if column != "metadata")


@dataclass(frozen=True, slots=True)
class StreamEvent:
    """What replaying an aggregate needs of a stored event, and nothing more (a stream load
    skips the metadata, ids and times that replays never read)."""

    stream_type: str
    version: int
    event_type: str
    schema_version: int
    data: dict[str, Any]

    @classmethod
    def from_values(cls, values: Sequence[Any], upcasters: Upcasters) -> "StreamEvent":
        """A row fetched as (stream_type, version, event_type, schema_version, data), upcast."""
        stream_type, version, event_type, schema_version, data = values
        if upcasters.handles(event_type):
            schema_version, data = upcasters.upcast(event_type, schema_version, data)
        return cls(stream_type, version, event_type, schema_version, data)


@dataclass(frozen=True)
class AppendResult:
    """What one append wrote: versions `first_version` to `version` of `stream_id`.

    `position` (the last event's place in the log) and `events` (the rows as recorded) are
    read from the log when first asked for: positions are assigned as the transaction
    commits, so until then `position` is None (on PostgreSQL) and `events` carry their
    provisional, negative positions.
    """

    stream_id: str
    version: int
    first_version: int
    store: "EventStore" = field(repr=False, compare=False)

    @property
    def position(self) -> int | None:
        known = self.__dict__.get("_position")
        if known is None:
            known = self.store.position_of(self.stream_id, self.version)
            if known is not None:
                object.__setattr__(self, "_position", known)  # final once assigned
        return known

    @functools.cached_property
    def events(self) -> tuple[RecordedEvent, ...]:
        return tuple(self.store.load(self.stream_id, self.first_version - 1, up_to_version=self.version))


def _rows_of(cursor: Any) -> companions.Rows:
    """A companion statement's rows (none for one without RETURNING)."""
    return list(cursor.fetchall()) if cursor.description is not None else []


def _raised_by_append(error: IntegrityError) -> bool:
    """Whether a uniqueness failure came from the append's own tables (the event and data-key rows).

    Unknown (no diagnostics): counted as the append's, as before companions existed.
    """
    table = getattr(getattr(error.__cause__, "diag", None), "table_name", None)
    return table is None or table in (TABLE, DataKey._meta.db_table)


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
        connection = connections[self.using]
        # Everything Python does for the rows happens here, before the database is asked.
        rows = {
            "stream_id": stream_id,
            "stream_type": stream_type,
            "recorded_at": timezone.now(),
            "event_ids": [uuid4() for _ in events],
            "event_types": [event.event_type for event in events],
            "schema_versions": [event.schema_version for event in events],
            "data": [Jsonb(event.data) for event in events],
            "metadata": [Jsonb(event.metadata) for event in events],
            "expected_version": expected_version,
        }
        new_keys = take_pending_keys(connection, stream_id)  # a new subject's data key, written with its events
        writes = companions.take(self.using)  # the command's other rows, in the same round trip
        # No savepoint (two round trips saved on every append). Without companions a version
        # mismatch is raised after the block, so the caller's transaction stays usable; with
        # companions it is raised inside it (their rows must not outlive the refusal), and a
        # lost race on the unique index, which PostgreSQL answers by aborting the transaction,
        # leaves it unusable too: the command then fails whole, and its retry starts afresh.
        with transaction.atomic(using=self.using, savepoint=False):
            if connection.vendor != "postgresql" and writes:
                # Before the rows, outside the `try`: a companion's IntegrityError is no conflict.
                companions.run_checks(writes, companions.execute(connection, writes))
            try:
                if connection.vendor == "postgresql":
                    versions, results = self._insert_postgresql(connection, rows, new_keys, writes)
                else:
                    if new_keys:
                        with connection.cursor() as cursor:
                            cursor.executemany(INSERT_NEW_SQL, new_keys)
                    versions, results = self._insert_orm(rows, events), []
            except IntegrityError as error:
                if writes and not _raised_by_append(error):
                    raise  # a companion's own failure, reported as itself
                # The one place a database uniqueness failure becomes a ConcurrencyError.
                raise ConcurrencyError(stream_id, expected_version) from error
            if results:
                # Before the version check is read: a companion that lost is the command's
                # refusal, whatever else a concurrent writer did to the stream.
                companions.run_checks(writes, results)
            if versions:
                setattr(connection, LAST_APPEND_ATTRIBUTE, (stream_id, versions[-1]))
                transaction.on_commit(request_wake_up, using=self.using, robust=True)
            elif writes:
                # Raised inside the block: the companions' rows were written and must roll back.
                raise ConcurrencyError(stream_id, expected_version, self.stream_version(stream_id))
        if not versions:
            raise ConcurrencyError(stream_id, expected_version, self.stream_version(stream_id))
        return AppendResult(stream_id=stream_id, version=versions[-1], first_version=versions[0], store=self)

    def _insert_postgresql(
        self,
        connection: BaseDatabaseWrapper,
        rows: dict[str, Any],
        new_keys: list[list[Any]],
        writes: Sequence[CompanionWrite] = (),
    ) -> tuple[list[int], list[companions.Rows]]:
        """One prepared INSERT … SELECT: the version check and every row, in one round trip (a new
        subject's data key and the companion writes in the same one, pipelined).

        The appended versions, and each companion's rows (`eventstore.companions`).
        """
        if len(rows["event_ids"]) == 1:
            params = {key: value for key, value in rows.items() if key not in ONE_OF.values()}
            params.update({one: rows[many][0] for one, many in ONE_OF.items()})
            statement = APPEND_ONE_SQL
        else:
            statement, params = APPEND_SQL, rows
        results: list[companions.Rows] = []
        with hot_cursor(connection) as cursor:
            if new_keys or writes:
                # One cursor per companion, so each keeps its own result. Nothing is fetched inside
                # the block: leaving it sends every statement with one Sync and reads every answer.
                side = [hot_cursor(connection) for _ in writes]
                try:
                    with connection.wrap_database_errors, connection.connection.pipeline():
                        for write, side_cursor in zip(writes, side, strict=True):
                            side_cursor.execute(write.sql, write.params)
                        if new_keys:
                            cursor.execute(INSERT_NEW_SQL, new_keys[0])
                        cursor.execute(statement, params)
                    results = [_rows_of(side_cursor) for side_cursor in side]
                    appended = cursor.fetchall()
                finally:
                    for side_cursor in side:
                        side_cursor.close()
            else:
                cursor.execute(statement, params)
                appended = cursor.fetchall()
        if any(position > 0 for _, position in appended):
            # Numbered at insert: the numbering of migration 0006 is missing, and readers could skip events.
            raise ImproperlyConfigured(
                "The event table hands out positions at insert: run `manage.py migrate eventstore` "
                "(migration 0006 numbers events at commit, which gap-free reading relies on)."
            )
        return sorted(version for version, _ in appended), results

    def _insert_orm(self, rows: dict[str, Any], events: Sequence[NewEvent]) -> list[int]:
        """SQLite: the database's single writer lock already keeps positions in commit order."""
        current = self.stream_version(rows["stream_id"])
        expected = rows["expected_version"]
        if expected is not None and current != expected:
            return []
        created = Event.objects.using(self.using).bulk_create(
            Event(
                event_id=event_id,
                stream_type=rows["stream_type"],
                stream_id=rows["stream_id"],
                version=current + offset,
                event_type=event.event_type,
                schema_version=event.schema_version,
                data=event.data,
                metadata=event.metadata,
                recorded_at=rows["recorded_at"],
            )
            for offset, (event_id, event) in enumerate(zip(rows["event_ids"], events, strict=True), start=1)
        )
        return [row.version for row in created]

    def last_append(self) -> tuple[str, int] | None:
        """The stream and version of this connection's latest append (see `forget_last_append`)."""
        return getattr(connections[self.using], LAST_APPEND_ATTRIBUTE, None)

    def forget_last_append(self) -> None:
        setattr(connections[self.using], LAST_APPEND_ATTRIBUTE, None)

    def commit_and_locate(self, stream_id: str, version: int) -> int | None:
        """Commit the open transaction and read one of its events' position, in one round trip.

        For the owner of the outermost transaction, as the last thing it does inside its
        `atomic` block: the COMMIT and the query after it go out as one pipeline (the
        position exists only once the commit has numbered the rows). Django's own commit at
        the end of the block then finds nothing left to commit and runs the `on_commit`
        callbacks as usual. Returns None on a database that numbers at insert, when the block
        is already doomed to roll back (Django's commit then rolls back, as it should), and
        when the COMMIT went through but the read failed (the caller reads it again later).
        """
        connection = connections[self.using]
        if connection.vendor != "postgresql" or connection.needs_rollback:
            return None
        raw = connection.connection
        commit = None
        try:
            # Unprepared: a Parse queued behind a COMMIT that fails is skipped by the server,
            # and psycopg would then believe in a prepared statement that does not exist.
            with connection.wrap_database_errors, raw.pipeline():
                commit = raw.execute("COMMIT", prepare=False)
                row = raw.execute(POSITION_SQL, [str(stream_id), version], prepare=False).fetchone()
        except DatabaseError:
            if commit is not None and commit.statusmessage == "COMMIT":
                return None  # committed; only the read failed
            raise
        if commit.statusmessage != "COMMIT":  # an aborted transaction answers COMMIT with ROLLBACK
            raise DatabaseError(f"the transaction was rolled back at commit ({commit.statusmessage})")
        return row[0] if row is not None and row[0] > 0 else None

    def position_of(self, stream_id: str, version: int) -> int | None:
        """The global position of one event, or None while it is not yet committed (numbered)."""
        with hot_cursor(connections[self.using]) as cursor:
            cursor.execute(POSITION_SQL, [str(stream_id), version])
            row = cursor.fetchone()
        return row[0] if row is not None and row[0] > 0 else None

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
        values = open_rows(list(rows.order_by("version").values_list(*RecordedEvent.COLUMNS)), DATA_COLUMN)
        return [RecordedEvent.from_values(row, upcasters) for row in values]

    def read_all(
        self,
        after_position: int = 0,
        limit: int = 500,
        event_types: Sequence[str] | None = None,
        *,
        metadata: bool = True,
    ) -> list[RecordedEvent]:
        """Up to `limit` events of the whole log after `after_position`, in position order, upcast.

        `metadata=False` leaves each event's metadata out (`{}`): neither fetched nor decoded,
        for readers that never look at it (projections). Otherwise (on PostgreSQL) it is fetched
        as text and decoded the first time an event's `metadata` is read.
        """
        connection = connections[self.using]
        if connection.vendor == "postgresql":
            return self._read_all_postgresql(connection, after_position, limit, event_types, metadata)
        rows = Event.objects.using(self.using).filter(position__gt=after_position)
        if event_types is not None:
            rows = rows.filter(event_type__in=event_types)
        upcasters = registered_upcasters()
        if metadata:
            page = open_rows(list(rows.order_by("position").values_list(*RecordedEvent.COLUMNS)[:limit]), DATA_COLUMN)
            return [RecordedEvent.from_values(values, upcasters) for values in page]
        at = RecordedEvent.COLUMNS.index("metadata")
        columns = [c for c in RecordedEvent.COLUMNS if c != "metadata"]
        # `data` comes before `metadata`, so it keeps its index in the narrower rows.
        page = open_rows(list(rows.order_by("position").values_list(*columns)[:limit]), DATA_COLUMN)
        return [RecordedEvent.from_values((*v[:at], {}, *v[at:]), upcasters) for v in page]

    def _read_all_postgresql(
        self,
        connection: BaseDatabaseWrapper,
        after_position: int,
        limit: int,
        event_types: Sequence[str] | None,
        metadata: bool,
    ) -> list[RecordedEvent]:
        """One prepared statement with binary results; the rows become events without Django's
        per-value converters (in a profile of a rebuild they were a third of reading a batch)."""
        params: list[Any] = [Int8(after_position)]
        if event_types is not None:
            params.append(list(event_types))
        params.append(Int8(limit))
        statement = READ_ALL_SQL[metadata, event_types is not None]
        with hot_cursor(connection, binary=True) as cursor:
            cursor.execute(statement, params)
            page = open_rows(cursor.fetchall(), DATA_COLUMN)
        keys = READ_KEYS if metadata else READ_KEYS_NO_METADATA
        upcasters = registered_upcasters()
        new = object.__new__
        events = []
        for values in page:
            event = new(RecordedEvent)
            fields = event.__dict__  # a frozen dataclass's __init__ sets each field through object.__setattr__
            fields.update(zip(keys, values, strict=True))
            if not metadata:
                fields["metadata"] = {}
            if upcasters.handles(values[5]):
                fields["schema_version"], fields["data"] = upcasters.upcast(values[5], values[6], values[7])
            events.append(event)
        return events

    def iter_all(self, after_position: int = 0, batch_size: int = 500) -> Iterator[RecordedEvent]:
        """The whole log after `after_position`, fetched in batches so memory stays bounded."""
        while batch := self.read_all(after_position, batch_size):
            yield from batch
            after_position = batch[-1].position

    def head(self) -> int:
        """The position of the last event in the log (0 when empty)."""
        connection = connections[self.using]
        if connection.vendor != "postgresql":
            return Event.objects.using(self.using).aggregate(p=Max("position"))["p"] or 0
        with hot_cursor(connection) as cursor:
            cursor.execute(HEAD_SQL)
            (head,) = cursor.fetchone()
        return int(head)

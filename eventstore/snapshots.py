"""Snapshots: an aggregate's state stored every N events, so loading a long stream stays fast.

A snapshot is a cache beside the log, never a source of truth. Readers check it before
trusting it (its stream type and schema version must match the loader's), and fall back to
a full replay when it is missing, stale or unreadable. Writers store one in the same
transaction as the append that crosses a multiple of N (`settings.EVENTSTORE_SNAPSHOT_EVERY`),
so a snapshot never describes events that were rolled back. Which stream types are snapshotted
is the domain's to say (`eventstore.snapshot_policy.snapshotted`), not the settings'.

This module knows nothing of aggregates: it stores and fetches JSON state by stream.
"""

from dataclasses import dataclass
from typing import Any, cast

from django.db import connections

from eventstore.db import hot_cursor, loads
from eventstore.models import Event, Snapshot
from eventstore.personal.sealing import open_one, open_rows
from eventstore.store import EventStore, RecordedEvent, StreamEvent
from eventstore.upcasting import registered_upcasters

# Plain SQL (valid on PostgreSQL and SQLite): building the equivalent ORM query with its
# subqueries cost more than the database took to answer it, on every command's load. Only
# the columns a replay reads: metadata, ids and times are never decoded for it.
# The lower bound is a scalar subquery, not the joined column, so PostgreSQL can start the
# (stream_id, version) index scan there; and a LIMIT, because a bound it learns only while
# running is planned as "a third of the stream": for a long stream that plan was a
# sequential scan of the whole table (67 ms per load of a 100,000-event product, growing
# with the log). A load that fills the LIMIT reads the rest with a plain range query.
LOAD_STREAM_LIMIT = 1_000
LOAD_STREAM_SQL = f"""
WITH latest AS (
    SELECT version, state FROM {Snapshot._meta.db_table}
    WHERE stream_id = %s AND stream_type = %s AND schema_version = %s
    ORDER BY version DESC LIMIT 1
)
SELECT e.stream_type, e.version, e.event_type, e.schema_version, e.data,
       CASE WHEN e.version = latest.version THEN latest.state END
FROM {Event._meta.db_table} e LEFT JOIN latest ON 1 = 1
WHERE e.stream_id = %s AND e.version >= COALESCE((SELECT version FROM latest), 1)
ORDER BY e.version
LIMIT %s
"""


def as_json(value: object) -> object:
    """Decode JSON text as Django's JSONField would, with orjson where it is exact (several
    times faster on the big states snapshots hold; `eventstore.db.loads` says where it is not)."""
    if not isinstance(value, str | bytes):
        return value
    return loads(value)


@dataclass(frozen=True)
class StoredSnapshot:
    """One stored snapshot: the state (JSON) of a stream as of `version`."""

    stream_id: str
    stream_type: str
    version: int
    schema_version: int
    state: dict[str, Any]


def crosses_threshold(every: int, old_version: int, new_version: int) -> bool:
    """True when an append from `old_version` to `new_version` passes a multiple of `every`.

    Appends of several events can jump over the exact multiple, so "crosses" rather than "lands on".
    """
    return old_version // every < new_version // every


class SnapshotStore:
    """Reads and writes `Snapshot` rows on the `default` database."""

    using = "default"

    def latest(self, stream_id: str, *, up_to_version: int | None = None) -> StoredSnapshot | None:
        """The newest snapshot of the stream (at or below `up_to_version` when given), or None."""
        rows = Snapshot.objects.using(self.using).filter(stream_id=str(stream_id))
        if up_to_version is not None:
            rows = rows.filter(version__lte=up_to_version)
        row = rows.order_by("-version").first()
        if row is None:
            return None
        return StoredSnapshot(
            stream_id=row.stream_id,
            stream_type=row.stream_type,
            version=row.version,
            schema_version=row.schema_version,
            state=open_one(row.state),
        )

    def load_stream(
        self, store: EventStore, stream_id: str, stream_type: str, schema_version: int
    ) -> tuple[StoredSnapshot | None, list[StreamEvent | RecordedEvent]]:
        """The latest snapshot of this type and schema, and the stream's events from its version on.

        One round trip (two past `LOAD_STREAM_LIMIT` events), so a stream without a snapshot
        costs no more to load than before snapshots existed: the events start at the
        snapshot's version (or 1), and the row at exactly that version carries the snapshot's
        state. The snapshot's own event comes back too, which proves the stream really has
        that version. No events at all means either a new stream or a snapshot beyond the
        stream's end; the caller tells them apart with a plain load.
        """
        stream_id = str(stream_id)
        with hot_cursor(connections[store.using]) as cursor:
            cursor.execute(LOAD_STREAM_SQL, [stream_id, stream_type, schema_version, stream_id, LOAD_STREAM_LIMIT])
            rows = cursor.fetchall()
        upcasters = registered_upcasters()
        events: list[StreamEvent | RecordedEvent] = []
        snapshot = None
        # Personal fields of events and snapshot opened with one key look-up for the whole load.
        decoded = open_rows([(*row[:4], as_json(row[4]), as_json(row[5])) for row in rows], 4, 5)
        for s_type, version, event_type, schema, data, state in decoded:
            event = StreamEvent.from_values((s_type, version, event_type, schema, data), upcasters)
            if state is not None and not events:
                snapshot = StoredSnapshot(stream_id, stream_type, version, schema_version, cast(dict[str, Any], state))
            events.append(event)
        if len(rows) == LOAD_STREAM_LIMIT:  # a long tail (snapshots off, or far apart): the rest in one go
            events += store.load(stream_id, after_version=events[-1].version)
        return snapshot, events

    def save(self, stream_id: str, stream_type: str, version: int, schema_version: int, state: dict[str, Any]) -> None:
        """Store a snapshot, replacing any other at this version (the caller's state comes from the events)."""
        Snapshot.objects.using(self.using).bulk_create(
            [
                Snapshot(
                    stream_id=str(stream_id),
                    stream_type=stream_type,
                    version=version,
                    schema_version=schema_version,
                    state=state,
                )
            ],
            # ON CONFLICT DO UPDATE: a leftover row must neither abort the append's transaction nor survive it.
            update_conflicts=True,
            unique_fields=["stream_id", "version"],
            update_fields=["stream_type", "schema_version", "state", "created_at"],
        )

    def delete(self, stream_id: str) -> int:
        """Forget a stream's snapshots (they are only a cache); returns how many were deleted."""
        deleted, _ = Snapshot.objects.using(self.using).filter(stream_id=str(stream_id)).delete()
        return deleted

"""Loads aggregates from the event store (latest snapshot + later events) and saves their new events."""

import json
import logging
from collections.abc import Iterable, Sequence
from contextlib import nullcontext
from typing import Any, TypeVar
from uuid import UUID

from django.db import transaction

from commands_app.framework.aggregate import Aggregate
from eventstore.personal.keys import key_store
from eventstore.personal.sealing import seal_fields
from eventstore.serialization import EventRegistry
from eventstore.snapshot_policy import snapshot_every
from eventstore.snapshots import SnapshotStore, StoredSnapshot, crosses_threshold
from eventstore.store import AppendResult, EventStore, NewEvent, RecordedEvent, StreamEvent

A = TypeVar("A", bound=Aggregate)

logger = logging.getLogger(__name__)


class AggregateRepository:
    """The bridge between aggregates (domain objects) and streams (stored rows).

    With `snapshots=True` (the default) an aggregate type listed in
    `settings.EVENTSTORE_SNAPSHOT_EVERY` loads from its latest usable snapshot plus the
    events after it, and a save that crosses a multiple of N stores a new snapshot in the
    same transaction as the append.
    """

    def __init__(self, store: EventStore, registry: EventRegistry, *, snapshots: bool = True) -> None:
        self.store = store
        self.registry = registry
        self.snapshots = SnapshotStore() if snapshots else None

    def load(self, aggregate_type: type[A], aggregate_id: str | UUID) -> A:
        """The aggregate with every stored event applied; `exists` is False for a new id.

        A stream of another type (an order id given where a customer id is expected) loads
        as a new, empty aggregate, so the command sees "not found", not a confusing state.
        """
        aggregate = aggregate_type(aggregate_id)
        if snapshots := self._snapshots_for(aggregate_type):
            snapshot, events = snapshots.load_stream(
                self.store, aggregate.id, aggregate_type.stream_type, aggregate_type.snapshot_schema_version
            )
            if snapshot is not None:
                restored = self._restore(aggregate_type, snapshot, events)
                if restored is not None:
                    return self.replay(restored, events[1:])
            elif events and events[0].version == 1:
                return self._replay_stream(aggregate, events)  # no snapshot: the whole stream, in one query
        return self._replay_stream(aggregate, self.store.load(aggregate.id))

    def replay(self, aggregate: A, events: Iterable[RecordedEvent | StreamEvent]) -> A:
        """Apply stored events to `aggregate`, in order (time travel replays a stream's prefix this way)."""
        for stored in events:
            aggregate.replay(self.registry.deserialize(stored.event_type, stored.data), stored.version)
        return aggregate

    def save(self, aggregate: Aggregate, metadata: dict[str, Any]) -> AppendResult:
        """Append the aggregate's pending events, expecting the version it was loaded at.

        When the append crosses the snapshot threshold, the snapshot is written in the same
        transaction (the caller's, or one opened here), so it never outlives its events.
        """
        loaded_version = aggregate.version
        # Inside a caller's transaction, no block of our own: a ConcurrencyError leaving an
        # inner block would mark the caller's transaction for rollback.
        in_transaction = transaction.get_connection(self.store.using).in_atomic_block
        with nullcontext() if in_transaction else transaction.atomic(using=self.store.using):
            # Sealed inside the transaction: a new subject's key is cached on commit only, so a
            # failed append never leaves a key in the cache that no row stores.
            new_events = [self._new_event(aggregate, event, metadata) for event in aggregate.pending_events]
            result = self.store.append(
                aggregate.id, aggregate.stream_type, new_events, expected_version=aggregate.version
            )
            aggregate.mark_saved(result.version)
            self._snapshot_if_due(aggregate, loaded_version)
        return result

    def _new_event(self, aggregate: Aggregate, event: Any, metadata: dict[str, Any]) -> NewEvent:
        event_type = self.registry.type_name(event)
        data = self.registry.serialize(event)
        personal = self.registry.personal_fields(event_type)
        if personal:  # the aggregate is the subject whose data these fields are
            data = seal_fields(data, personal, aggregate.id, new_subject=aggregate.version == 0)
        return NewEvent(
            event_type=event_type,
            data=data,
            metadata=metadata,
            schema_version=self.registry.schema_version(event_type),
        )

    def _replay_stream(self, aggregate: A, events: Sequence[RecordedEvent | StreamEvent]) -> A:
        if events and events[0].stream_type != aggregate.stream_type:
            return aggregate  # another type's stream: "not found" for this type
        return self.replay(aggregate, events)

    def _restore(
        self, aggregate_type: type[A], snapshot: StoredSnapshot, events: list[StreamEvent | RecordedEvent]
    ) -> A | None:
        """The aggregate restored from `snapshot`, or None when it cannot be trusted.

        `load_stream` only offers snapshots of this type and schema version; an older
        schema (or another type) is never read, so it is ignored rather than trusted.
        """
        if events[0].stream_type != aggregate_type.stream_type:
            return None  # a snapshot that claims another type than its stream's events
        try:
            return aggregate_type.from_snapshot(snapshot.stream_id, snapshot.version, snapshot.state)
        except Exception:
            # A snapshot is only a cache: whatever is wrong with it, the events still hold the truth.
            logger.warning("ignoring unreadable snapshot of %s@%s", snapshot.stream_id, snapshot.version, exc_info=True)
            return None

    def _snapshot_if_due(self, aggregate: Aggregate, loaded_version: int) -> None:
        snapshots = self._snapshots_for(type(aggregate))
        every = snapshot_every(aggregate.stream_type)
        if snapshots is None or every is None or not crosses_threshold(every, loaded_version, aggregate.version):
            return
        try:
            state = aggregate.snapshot_state()
            if aggregate.personal_state:
                state = seal_fields(state, aggregate.personal_state, aggregate.id)
            json.dumps(state)  # a Decimal or a set left in the state fails here, not inside the INSERT
        except Exception:
            # A broken snapshot hook must not refuse a command whose events are sound.
            logger.exception("could not snapshot %s@%s", aggregate.id, aggregate.version)
            return
        snapshots.save(aggregate.id, aggregate.stream_type, aggregate.version, aggregate.snapshot_schema_version, state)

    def forget_subject(self, subject: str) -> None:
        """Destroy the subject's data key and drop its stream's snapshots, in the caller's transaction.

        For the handler of a "forget" command, next to the event that records it: the sealed
        fields of every event about the subject then read as forgotten, everywhere.
        """
        key_store().destroy(subject)
        if self.snapshots is not None:
            self.snapshots.delete(subject)

    def _snapshots_for(self, aggregate_type: type[Aggregate]) -> SnapshotStore | None:
        """The snapshot store, when this aggregate type is snapshotted at all."""
        if aggregate_type.supports_snapshots() and snapshot_every(aggregate_type.stream_type) is not None:
            return self.snapshots
        return None

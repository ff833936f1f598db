"""Loads aggregates from the event store and saves their new events."""

from typing import Any, TypeVar

from commands_app.framework.aggregate import Aggregate
from eventstore.serialization import EventRegistry
from eventstore.store import AppendResult, EventStore, NewEvent

A = TypeVar("A", bound=Aggregate)


class AggregateRepository:
    """The bridge between aggregates (domain objects) and streams (stored rows)."""

    def __init__(self, store: EventStore, registry: EventRegistry) -> None:
        self.store = store
        self.registry = registry

    def load(self, aggregate_type: type[A], aggregate_id: str) -> A:
        """The aggregate with every stored event applied; `exists` is False for a new id.

        A stream of another type (an order id given where a customer id is expected) loads
        as a new, empty aggregate, so the command sees "not found", not a confusing state.
        """
        aggregate = aggregate_type(aggregate_id)
        events = self.store.load(aggregate.id)
        if events and events[0].stream_type != aggregate_type.stream_type:
            return aggregate
        for stored in events:
            aggregate.replay(self.registry.deserialize(stored.event_type, stored.data), stored.version)
        return aggregate

    def save(self, aggregate: Aggregate, metadata: dict[str, Any]) -> AppendResult:
        """Append the aggregate's pending events, expecting the version it was loaded at."""
        new_events = [
            NewEvent(
                event_type=self.registry.type_name(event),
                data=self.registry.serialize(event),
                metadata=metadata,
                schema_version=self.registry.schema_version(self.registry.type_name(event)),
            )
            for event in aggregate.pending_events
        ]
        result = self.store.append(aggregate.id, aggregate.stream_type, new_events, expected_version=aggregate.version)
        aggregate.mark_saved(result.version)
        return result

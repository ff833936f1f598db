"""The domain's event classes, by stored type name, its aggregate classes, by stream type, and which are snapshotted."""

from typing import TypeVar

from commands_app.framework.aggregate import Aggregate, AggregateTypes
from eventstore.serialization import EventRegistry
from eventstore.snapshot_policy import snapshotted

domain_events = EventRegistry()
domain_aggregates = AggregateTypes()

A = TypeVar("A", bound=type[Aggregate])


def snapshotted_aggregate(cls: A) -> A:
    """Class decorator: snapshot this aggregate's streams every `EVENTSTORE_SNAPSHOT_EVERY` events."""
    snapshotted(cls.stream_type)
    return cls

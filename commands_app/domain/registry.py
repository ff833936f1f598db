"""The domain's event classes, by stored type name, and its aggregate classes, by stream type."""

from commands_app.framework.aggregate import AggregateTypes
from eventstore.serialization import EventRegistry

domain_events = EventRegistry()
domain_aggregates = AggregateTypes()

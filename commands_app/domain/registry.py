"""The domain's event classes, by stored type name."""

from eventstore.serialization import EventRegistry

domain_events = EventRegistry()

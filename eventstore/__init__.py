"""The append-only event log: events, streams, serialization and subscriptions."""

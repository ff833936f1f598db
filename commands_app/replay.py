"""State replay: an aggregate's state rebuilt from its events, never from a snapshot or a read model.

Time travel (`commands_app.api.streams`) and the admin's stream page
(`settings.EVENTSTORE_STATE_REPLAYER`, since the event store cannot import the domain) both
replay through here, so neither HTTP nor the admin knows how an aggregate is rebuilt.
"""

from collections.abc import Sequence

from commands_app.domain.registry import domain_aggregates, domain_events
from commands_app.framework.repository import AggregateRepository
from eventstore.store import EventStore, RecordedEvent


def aggregate_state(stream_id: str, events: list[RecordedEvent]) -> dict | None:
    """The state the registered aggregate class rebuilds from `events`, as JSON (its snapshot form)."""
    aggregate_type = domain_aggregates.get(events[0].stream_type)
    if aggregate_type is None or not aggregate_type.supports_snapshots():
        return None
    return replaying_repository().replay(aggregate_type(stream_id), events).snapshot_state()


def replaying_repository() -> AggregateRepository:
    # Never from a snapshot: time travel must show what the events say, even if a snapshot lies.
    return AggregateRepository(EventStore(), domain_events, snapshots=False)


# The events before a page of the admin's stream page are replayed this many at a time.
REPLAY_BATCH_SIZE = 500


def states_after_each(stream_type: str, stream_id: str, events: Sequence[RecordedEvent]) -> list[dict] | None:
    """The aggregate's state after each of `events` (consecutive, from any version); None for no aggregate class.

    The admin's stream page calls this (settings.EVENTSTORE_STATE_REPLAYER): the event store
    cannot import the domain. The events before the first one are replayed in batches, so a
    page deep into a long stream costs memory for one batch, not for the whole stream.
    """
    aggregate_type = domain_aggregates.get(stream_type)
    if aggregate_type is None or not aggregate_type.supports_snapshots() or not events:
        return None
    repository, store = replaying_repository(), EventStore()
    aggregate = aggregate_type(stream_id)
    replayed, before = 0, events[0].version - 1
    while replayed < before:
        batch = store.load(stream_id, after_version=replayed, up_to_version=min(replayed + REPLAY_BATCH_SIZE, before))
        if not batch:
            break
        repository.replay(aggregate, batch)
        replayed = batch[-1].version
    states = []
    for event in events:
        repository.replay(aggregate, [event])
        states.append(aggregate.snapshot_state())
    return states

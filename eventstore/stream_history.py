"""One stream's events, a page at a time, each with the aggregate's state after it.

The event store knows no aggregates, so the state comes from a replayer the project names
in `settings.EVENTSTORE_STATE_REPLAYER` (as it names its upcasters and subscribers): a
callable `(stream_type, stream_id, events) -> [state after each event] | None` that is
given a run of consecutive events of one stream, starting at any version, and replays
whatever comes before them itself. Without one, or for a stream type it does not know,
the page shows the events alone.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string

from eventstore.store import EventStore, RecordedEvent

StateReplayer = Callable[[str, str, Sequence[RecordedEvent]], list[Any] | None]

STREAM_PAGE_SIZE = 50


@cache
def state_replayer() -> StateReplayer | None:
    path = getattr(settings, "EVENTSTORE_STATE_REPLAYER", "")
    return import_string(path) if path else None


@dataclass(frozen=True)
class HistoryEntry:
    """One event of the stream and the state after it (`changed`: top-level keys it changed)."""

    event: RecordedEvent
    state: Any
    changed: tuple[str, ...]


@dataclass(frozen=True)
class StreamHistoryPage:
    """One page of a stream's history; `has_state` is False when no replayer knows its type."""

    stream_id: str
    stream_type: str
    current_version: int
    page: int
    page_count: int
    entries: list[HistoryEntry]
    has_state: bool
    state_error: str  # why the state could not be rebuilt, when it could not


def stream_history(stream_id: str, page: int = 1, page_size: int = STREAM_PAGE_SIZE) -> StreamHistoryPage | None:
    """Page `page` (from 1) of the stream in version order; None when the stream has no events.

    Versions run 1, 2, 3 … without gaps, so a page is a version range: no COUNT, no OFFSET.
    """
    store = EventStore()
    current = store.stream_version(stream_id)
    if current == 0:
        return None
    page_count = -(-current // page_size)
    page = min(max(page, 1), page_count)
    first = (page - 1) * page_size
    # One event before the page too, so the first entry's changes are measured against something.
    before_page = max(first - 1, 0)
    events = store.load(stream_id, after_version=before_page, up_to_version=first + page_size)
    states, error = replay_states(events[0].stream_type, stream_id, events)
    previous_state = states[0] if states is not None and before_page < first else None
    if before_page < first:
        events, states = events[1:], (states[1:] if states is not None else None)
    entries = []
    for index, event in enumerate(events):
        if states is None:
            entries.append(HistoryEntry(event, None, ()))
            continue
        before = states[index - 1] if index else previous_state
        entries.append(HistoryEntry(event, states[index], changed_keys(before, states[index])))
    return StreamHistoryPage(
        stream_id=stream_id,
        stream_type=events[0].stream_type,
        current_version=current,
        page=page,
        page_count=page_count,
        entries=entries,
        has_state=states is not None,
        state_error=error,
    )


def replay_states(stream_type: str, stream_id: str, events: Sequence[RecordedEvent]) -> tuple[list[Any] | None, str]:
    """The state after each event, or (None, why not)."""
    replayer = state_replayer()
    if replayer is None or not events:
        return None, ""
    try:
        states = replayer(stream_type, stream_id, events)
    except Exception as error:
        # The operator opens this page when something is wrong: show the events regardless.
        return None, f"{type(error).__name__}: {error}"
    if states is not None and len(states) != len(events):
        return None, f"the state replayer gave {len(states)} states for {len(events)} events"
    return states, ""


def changed_keys(before: Any, after: Any) -> tuple[str, ...]:
    if not isinstance(after, dict):
        return ()
    before = before if isinstance(before, dict) else {}
    return tuple(key for key in after if key not in before or before[key] != after[key])

"""`Aggregate`: state rebuilt from its own events; new events are raised, then saved."""

from typing import Any, ClassVar


class Aggregate:
    """Base for aggregates. Its state is only ever changed by `apply(event)`.

    Subclasses set `stream_type` and implement `apply` (typically a
    `functools.singledispatchmethod` with one branch per event class). Domain methods
    check rules, then call `raise_event`, which applies the event and queues it to save.
    """

    stream_type: ClassVar[str]

    def __init__(self, aggregate_id: str) -> None:
        self.id = str(aggregate_id)
        self.version = 0  # the last stored version this state includes
        self._pending: list[Any] = []

    def apply(self, event: Any) -> None:
        raise NotImplementedError(f"{type(self).__name__} does not apply {type(event).__name__}")

    def raise_event(self, event: Any) -> None:
        self.apply(event)
        self._pending.append(event)

    @property
    def exists(self) -> bool:
        return self.version > 0 or bool(self._pending)

    @property
    def pending_events(self) -> tuple[Any, ...]:
        return tuple(self._pending)

    def replay(self, event: Any, version: int) -> None:
        """Apply a stored event (loading), advancing the version."""
        self.apply(event)
        self.version = version

    def mark_saved(self, version: int) -> None:
        self._pending.clear()
        self.version = version

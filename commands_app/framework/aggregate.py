"""`Aggregate`: state rebuilt from its own events; new events are raised, then saved."""

from typing import Any, ClassVar, TypeVar
from uuid import UUID

A = TypeVar("A", bound="Aggregate")


class Aggregate:
    """Base for aggregates. Its state is only ever changed by `apply(event)`.

    Subclasses set `stream_type` and implement `apply` (typically a
    `functools.singledispatchmethod` with one branch per event class). Domain methods
    check rules, then call `raise_event`, which applies the event and queues it to save.

    To be snapshotted, a subclass also implements `snapshot_state` and `restore_state`,
    and bumps `snapshot_schema_version` whenever the shape of that state changes, so
    snapshots written by older code are ignored instead of trusted.
    """

    stream_type: ClassVar[str]
    snapshot_schema_version: ClassVar[int] = 1
    # Keys of `snapshot_state` that are personal data of this aggregate (sealed like events' fields).
    personal_state: ClassVar[tuple[str, ...]] = ()

    def __init__(self, aggregate_id: str | UUID) -> None:
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

    # Snapshot hooks.

    @classmethod
    def supports_snapshots(cls) -> bool:
        return cls.snapshot_state is not Aggregate.snapshot_state

    def snapshot_state(self) -> dict[str, Any]:
        """Override: the state as JSON-ready data (money as strings, exact), without id and version."""
        raise NotImplementedError(f"{type(self).__name__} cannot be snapshotted")

    def restore_state(self, state: dict[str, Any]) -> None:
        """Override: set the state from what `snapshot_state` returned. Raise on anything unexpected."""
        raise NotImplementedError(f"{type(self).__name__} cannot be restored from a snapshot")

    @classmethod
    def from_snapshot(cls: type[A], aggregate_id: str, version: int, state: dict[str, Any]) -> A:
        aggregate = cls(aggregate_id)
        aggregate.restore_state(state)
        aggregate.version = version
        return aggregate


class AggregateTypes:
    """Maps stored stream types to aggregate classes, for readers that start from a stream (time travel)."""

    def __init__(self) -> None:
        self._by_stream_type: dict[str, type[Aggregate]] = {}

    def register(self, cls: type[A]) -> type[A]:
        """Class decorator: `@aggregate_types.register` on an `Aggregate` subclass."""
        existing = self._by_stream_type.get(cls.stream_type, cls)
        if existing is not cls:
            raise ValueError(f"stream type {cls.stream_type!r} is already {existing.__name__}")
        self._by_stream_type[cls.stream_type] = cls
        return cls

    def get(self, stream_type: str) -> type[Aggregate] | None:
        return self._by_stream_type.get(stream_type)

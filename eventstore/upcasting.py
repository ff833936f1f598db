"""Upcasters: turn an event's stored payload from an old schema version into the current shape, on read.

Stored rows are immutable, so when an event's shape changes the old rows stay as they were
written. Instead of migrating them, every read path of the store passes each row through
the registered upcasters, one step at a time (v1 -> v2 -> v3 ...), so every reader
(aggregates and projections alike) only ever sees the current shape.

An upcaster is a plain function from the data of version N to the data of version N+1:

    upcasters = Upcasters()

    @upcasters.register("OrderPlaced", from_version=1)
    def order_placed_v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
        return {**data, "total": ...}

The upcaster registries the store uses are listed in `settings.EVENTSTORE_UPCASTERS`
(dotted paths to `Upcasters` instances), so the store knows no domain.
"""

from collections.abc import Callable
from functools import cache
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


class Upcasters:
    """A registry of one-step upcasters, keyed by (event type, the schema version they read)."""

    def __init__(self) -> None:
        self._steps: dict[tuple[str, int], Upcaster] = {}
        # A set of event types lets a read skip the lookup for rows that never need upcasting.
        self._event_types: set[str] = set()

    def register(self, event_type: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
        """Decorator: the function turns `event_type` data of `from_version` into `from_version + 1`."""

        def add(upcaster: Upcaster) -> Upcaster:
            self.add(event_type, from_version, upcaster)
            return upcaster

        return add

    def add(self, event_type: str, from_version: int, upcaster: Upcaster) -> None:
        key = (event_type, from_version)
        if key in self._steps:
            raise ValueError(f"{event_type} already has an upcaster from schema version {from_version}")
        self._steps[key] = upcaster
        self._event_types.add(event_type)

    def merge(self, other: "Upcasters") -> None:
        """Take every step of `other` (used to combine the registries listed in settings)."""
        for (event_type, from_version), upcaster in other._steps.items():
            self.add(event_type, from_version, upcaster)

    def handles(self, event_type: str) -> bool:
        return event_type in self._event_types

    def upcast(self, event_type: str, schema_version: int, data: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """The data in the newest shape the registered steps reach, and that shape's version."""
        if event_type not in self._event_types:
            return schema_version, data
        while (step := self._steps.get((event_type, schema_version))) is not None:
            data = step(data)
            schema_version += 1
        return schema_version, data

    def latest_version(self, event_type: str, schema_version: int = 1) -> int:
        """The version that data of `schema_version` reaches; tests compare it to the event class's."""
        while (event_type, schema_version) in self._steps:
            schema_version += 1
        return schema_version


@cache
def registered_upcasters() -> Upcasters:
    """Every registry listed in `settings.EVENTSTORE_UPCASTERS`, combined (built once per process)."""
    combined = Upcasters()
    for path in getattr(settings, "EVENTSTORE_UPCASTERS", []):
        combined.merge(import_string(path))
    return combined

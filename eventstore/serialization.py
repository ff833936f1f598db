"""Turns frozen-dataclass events into JSON data and back, exactly.

JSON has no Decimal, UUID or datetime, so the stored form is a string for each
(money as a string, never a float), and the way back is directed by the dataclass's own
type hints: `Decimal("10.50")` comes back as `Decimal("10.50")`, not `10.5`.
"""

import dataclasses
import datetime as dt
import types
import typing
import uuid
from decimal import Decimal
from functools import cache
from typing import Any, TypeVar

T = TypeVar("T")


def to_data(value: Any) -> Any:
    """A JSON-ready copy of `value` (dataclasses become dicts)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_data(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [to_data(item) for item in value]
    if isinstance(value, dict):
        return {str(key): to_data(item) for key, item in value.items()}
    raise TypeError(f"{type(value).__name__} cannot be stored in an event; use str, int, Decimal, UUID, datetime")


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def from_data(tp: Any, data: Any) -> Any:
    """Rebuild a value of type `tp` from what `to_data` produced."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        if data is None:
            return None
        (inner,) = [arg for arg in typing.get_args(tp) if arg is not type(None)]
        return from_data(inner, data)
    if origin in (tuple, list):
        (inner, *_) = typing.get_args(tp)
        items = [from_data(inner, item) for item in data]
        return tuple(items) if origin is tuple else items
    if origin is dict:
        return dict(data)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        hints = _hints(tp)
        return tp(**{f.name: from_data(hints[f.name], data[f.name]) for f in dataclasses.fields(tp) if f.name in data})
    if tp is Decimal:
        return Decimal(data)
    if tp is uuid.UUID:
        return uuid.UUID(data)
    if tp is dt.datetime:
        return dt.datetime.fromisoformat(data)
    if tp is dt.date:
        return dt.date.fromisoformat(data)
    return data


class UnknownEventType(LookupError):
    """A stored event type has no registered class."""


class EventRegistry:
    """Maps event type names to their dataclasses, both ways."""

    def __init__(self) -> None:
        self._by_name: dict[str, type] = {}

    def register(self, cls: type[T]) -> type[T]:
        """Class decorator: `@registry.register` on a frozen dataclass event."""
        if not dataclasses.is_dataclass(cls):
            raise TypeError(f"{cls.__name__} must be a dataclass to be stored as an event")
        name = cls.__name__
        if self._by_name.get(name, cls) is not cls:
            raise ValueError(f"event type {name!r} is registered twice")
        self._by_name[name] = cls
        return cls

    def type_name(self, event: Any) -> str:
        return type(event).__name__

    def schema_version(self, event_type: str) -> int:
        """The current schema version of an event type: its class's `schema_version` (1 when unset).

        Bump it when the stored shape changes, and register an upcaster from the previous
        version (`eventstore.upcasting`), so rows written before still read in the new shape.
        """
        return getattr(self._by_name[event_type], "schema_version", 1)

    def personal_fields(self, event_type: str) -> tuple[str, ...]:
        """The fields of an event type that are personal data of its stream's subject (`personal_fields`).

        Declared on the event class, e.g. `personal_fields: ClassVar = ("name", "email")`;
        the repository seals them with the subject's own key (`eventstore.personal`).
        """
        return getattr(self._by_name[event_type], "personal_fields", ())

    def event_types(self) -> list[str]:
        """Every registered event type name."""
        return sorted(self._by_name)

    def serialize(self, event: Any) -> dict[str, Any]:
        data: dict[str, Any] = to_data(event)  # a dataclass becomes a dict
        return data

    def deserialize(self, event_type: str, data: dict[str, Any]) -> Any:
        try:
            cls = self._by_name[event_type]
        except KeyError:
            raise UnknownEventType(f"no event class is registered for {event_type!r}") from None
        return from_data(cls, data)

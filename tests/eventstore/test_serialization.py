"""Events round-trip through the store exactly: Decimal, UUID and datetime included."""

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal

import pytest

from eventstore.serialization import EventRegistry, UnknownEventType, to_data
from eventstore.store import EventStore, NewEvent

registry = EventRegistry()


@dataclass(frozen=True)
class Line:
    sku: str
    price: Decimal


@registry.register
@dataclass(frozen=True)
class SomethingHappened:
    amount: Decimal
    ref: uuid.UUID
    at: dt.datetime
    lines: tuple[Line, ...]
    note: str | None = None


VALUES = SomethingHappened(
    amount=Decimal("10.50"),
    ref=uuid.UUID("12345678-1234-5678-1234-567812345678"),
    at=dt.datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=dt.timezone(dt.timedelta(hours=2))),
    lines=(Line("A", Decimal("0.10")), Line("B", Decimal("999999.99"))),
)


def test_money_is_stored_as_a_string_never_a_float():
    data = to_data(VALUES)
    assert data["amount"] == "10.50"
    assert data["lines"][1]["price"] == "999999.99"


@pytest.mark.django_db
def test_decimal_uuid_and_datetime_round_trip_exactly_through_the_database():
    store = EventStore()
    store.append("s", "Thing", [NewEvent("SomethingHappened", registry.serialize(VALUES))], expected_version=0)

    (stored,) = store.load("s")
    restored = registry.deserialize(stored.event_type, stored.data)

    assert restored == VALUES
    assert str(restored.amount) == "10.50"  # the scale survives, not just the value
    assert restored.at.utcoffset() == dt.timedelta(hours=2)
    assert isinstance(restored.ref, uuid.UUID)


def test_unknown_event_type_is_a_clear_error():
    with pytest.raises(UnknownEventType, match="Nope"):
        registry.deserialize("Nope", {})


def test_values_json_cannot_hold_are_refused():
    with pytest.raises(TypeError, match="float"):
        to_data(1.5)

"""Strict input: a serializer and fields that refuse what they do not know, instead of guessing.

DRF's own fields are lenient (`IntegerField` takes `"5"` and `5.0`, `CharField` turns `5`
into `"5"`, an unknown body field is silently dropped); a request body built from these
says exactly what it accepts, and the schema says so too (`api.openapi`).
"""

import re
from typing import Any

from rest_framework import serializers


class StrictSerializer(serializers.Serializer):
    """Refuses fields it does not know, so a typo is an error, not a silent no-op."""

    def to_internal_value(self, data: Any) -> dict:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer, and only that: `"5"`, `5.0` and `true` are refused."""

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictCharField(serializers.CharField):
    """A JSON string, and only that: numbers and booleans are not silently turned into text."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class MoneyField(serializers.DecimalField):
    """An amount as a JSON string ("12.50"): a JSON number may already have lost its exactness.

    `pattern` (a regular expression the whole string must match) is checked before the
    decimal is parsed and is the pattern the schema states, so a generated client and the
    server agree on exactly which strings are amounts; `example` is the schema's example.
    """

    default_error_messages = {
        "not_a_string": 'Give the amount as a string, such as "12.50".',
        "bad_format": "Give the amount as digits with at most {places} after a point, such as {example}.",
    }

    def __init__(self, *, pattern: str | None = None, example: str = "12.50", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.pattern = pattern
        self.example = example

    def to_internal_value(self, data: Any):
        if not isinstance(data, str):
            self.fail("not_a_string")
        if self.pattern is not None and re.fullmatch(self.pattern, data) is None:
            self.fail("bad_format", places=self.decimal_places, example=f'"{self.example}"')
        return super().to_internal_value(data)


class BoundedListField(serializers.ListField):
    """A `ListField` that counts before it validates: over `max_length` is refused at once.

    DRF validates every element and only then checks the length, so a body of a million
    items kept a worker busy for as long as it took to refuse them all, one error each.
    """

    def to_internal_value(self, data: Any) -> list:
        if isinstance(data, list) and self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)

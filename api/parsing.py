"""Strict query and path parameters: whole numbers, positions, date-times PostgreSQL can read.

Django's, DRF's and django-filter's own parsers are lenient (`1.0`, ` 1` and `1.5` pass as
numbers; a `+16:57` UTC offset passes as a time) and a lenient value either answers another
question than the one asked or reaches the database and fails there as a 500. Every surface
parses with these instead, so each such fuzz finding is fixed once.
"""

import re
from datetime import UTC, datetime, timedelta

from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

from eventstore.models import MAX_POSITION

__all__ = ["MAX_POSITION", "as_utc", "bounds_schema", "is_whole_number", "whole_number_param"]

DIGITS = re.compile(r"[0-9]+")

POSTGRESQL_MAX_UTC_OFFSET = timedelta(hours=16)  # it reads UTC offsets up to ±15:59


def is_whole_number(raw: object) -> bool:
    """Only digits: Django's and DRF's integer fields also take `1.0` and ` 1` (schemathesis found `after=0.0`)."""
    return isinstance(raw, int) or (isinstance(raw, str) and DIGITS.fullmatch(raw) is not None)


def whole_number_param(request: Request, name: str, minimum: int, maximum: int | None = None) -> int | None:
    """The query parameter `name` as an int of at least `minimum`; None when absent or empty; else a 400 naming it.

    Above `maximum` (when given) is an error too; callers that clamp pass no maximum.
    """
    raw = request.query_params.get(name)
    if not raw:  # absent, or empty as an HTML form sends it
        return None
    value = int(raw) if is_whole_number(raw) else None
    if value is None or value < minimum or (maximum is not None and value > maximum):
        upper = f" to {maximum:,}" if maximum is not None else " or more"
        raise ValidationError({name: [f"Expected a whole number from {minimum}{upper}; got {raw[:40]!r}."]})
    return value


def bounds_schema(minimum: int, maximum: int | None = None) -> dict:
    """The OpenAPI schema of a `whole_number_param` with these bounds."""
    schema = {"type": "integer", "minimum": minimum}
    if maximum is not None:
        schema["maximum"] = maximum
    return schema


def as_utc(moment: datetime) -> datetime:
    """An aware `moment` in UTC: PostgreSQL refuses offsets past ±15:59 that Python accepts (`+16:57` was a 500).

    At the calendar's edge, where UTC would overflow, the offset is kept if PostgreSQL can
    read it; otherwise `OverflowError`, for the caller to answer as a 400 in its own words.
    """
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        offset = moment.utcoffset()
        if offset is not None and abs(offset) < POSTGRESQL_MAX_UTC_OFFSET:
            return moment
        raise

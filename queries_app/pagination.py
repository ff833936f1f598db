"""Pagination parameters that are checked, not guessed: a malformed `limit`/`offset` is a 400.

DRF falls back to the default for a `limit`, `offset` or `page_size` it cannot read, so a
typo silently returns another page than asked for (schemathesis found `?offset=null`).
"""

import re

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request

MAX_OFFSET = 2**63 - 1  # SQL OFFSET is a bigint; the schema says so too
DIGITS = re.compile(r"[0-9]+")


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
    schema = {"type": "integer", "minimum": minimum}
    if maximum is not None:
        schema["maximum"] = maximum
    return schema


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    """`?limit=` above `max_limit` is clamped to it (a huge one would also overflow a SQL LIMIT)."""

    default_limit = 50
    max_limit = 500

    def get_limit(self, request: Request) -> int:
        limit = whole_number_param(request, self.limit_query_param, 1)
        return self.default_limit if limit is None else min(limit, self.max_limit)

    def get_offset(self, request: Request) -> int:
        return whole_number_param(request, self.offset_query_param, 0, MAX_OFFSET) or 0

    def get_schema_operation_parameters(self, view) -> list[dict]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.limit_query_param:
                parameter["schema"] = bounds_schema(1)
            elif parameter["name"] == self.offset_query_param:
                parameter["schema"] = bounds_schema(0, MAX_OFFSET)
        return parameters

"""Pagination parameters that are checked, not guessed: a malformed `limit`/`offset` is a 400.

DRF falls back to the default for a `limit`, `offset` or `page_size` it cannot read, so a
typo silently returns another page than asked for (schemathesis found `?offset=null`).
"""

from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request

from api.parsing import MAX_POSITION, bounds_schema, whole_number_param

MAX_OFFSET = MAX_POSITION  # SQL OFFSET is a bigint, as a position is; the schema says so too


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

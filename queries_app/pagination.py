"""Limit/offset pagination with a ceiling, so one request cannot ask for a whole table."""

from rest_framework.pagination import LimitOffsetPagination


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    """`?limit=` above `max_limit` is clamped to it (a huge one would also overflow a SQL LIMIT)."""

    default_limit = 50
    max_limit = 500

"""Request body parsers with bounded work: JSON nested at most `MAX_JSON_DEPTH` levels.

DRF's `JSONParser` lets Python's decoder recurse as deep as the body nests; 10,000 levels
raise `RecursionError`, which DRF does not expect, so it was a 500. No command nests more
than a few levels (an order's lines are three), so anything deeper is refused as a 400.
"""

from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_JSON_DEPTH = 32


def nests_deeper_than(value: Any, limit: int) -> bool:
    """Whether `value` has arrays or objects more than `limit` levels deep; level by level, so any depth is safe."""
    level = [value] if isinstance(value, dict | list) else []
    for _ in range(limit):
        level = [
            child
            for container in level
            for child in (container.values() if isinstance(container, dict) else container)
            if isinstance(child, dict | list)
        ]
        if not level:
            return False
    return bool(level)


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser, refusing bodies nested deeper than `MAX_JSON_DEPTH` with a 400."""

    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        too_deep = ParseError(f"JSON parse error - nested more than {MAX_JSON_DEPTH} levels deep.")
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise too_deep from None
        if nests_deeper_than(data, MAX_JSON_DEPTH):
            raise too_deep
        return data

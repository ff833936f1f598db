"""Template filters for the event store's admin pages."""

import json

from django import template

register = template.Library()


@register.filter
def pretty_json(value: object) -> str:
    """Indented JSON, keys sorted (autoescaped by the template like any text)."""
    return json.dumps(value, indent=2, sort_keys=True, default=str)


@register.filter
def compact_json(value: object) -> str:
    """One-line JSON, for values short enough to read inline."""
    return json.dumps(value, sort_keys=True, default=str)

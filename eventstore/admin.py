"""The admin as a window on the log: browse and search events, never change them."""

import json
import uuid

from django.contrib import admin
from django.db.models import Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from eventstore.models import Checkpoint, Event


def pretty_json(value: object) -> str:
    return format_html("<pre style='white-space: pre-wrap'>{}</pre>", json.dumps(value, indent=2, sort_keys=True))


class ReadOnlyAdmin(admin.ModelAdmin):
    """Nobody, superusers included, may add, change or delete through this admin."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ["position", "recorded_at", "stream_type", "stream_link", "version", "event_type"]
    list_filter = ["stream_type", "event_type", "recorded_at"]
    date_hierarchy = "recorded_at"
    search_fields = ["stream_id"]
    search_help_text = "Exact stream id or event id."
    show_full_result_count = False  # COUNT(*) over millions of rows on every page is slow
    fields = [
        "position",
        "event_id",
        "stream_type",
        "stream_link",
        "version",
        "event_type",
        "schema_version",
        "recorded_at",
        "pretty_data",
        "pretty_metadata",
    ]

    @admin.display(description="stream id", ordering="stream_id")
    def stream_link(self, event: Event) -> str:
        url = reverse("admin:eventstore_event_changelist") + f"?stream_id={event.stream_id}"
        return format_html('<a href="{}" title="All events of this stream, in order">{}</a>', url, event.stream_id)

    @admin.display(description="data")
    def pretty_data(self, event: Event) -> str:
        return pretty_json(event.data)

    @admin.display(description="metadata")
    def pretty_metadata(self, event: Event) -> str:
        return pretty_json(event.metadata)

    def get_ordering(self, request: HttpRequest) -> list[str]:
        # One stream reads in its own order; the whole log, newest first.
        return ["version"] if "stream_id" in request.GET else ["-position"]

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        condition = Q(stream_id=term)
        try:
            condition |= Q(event_id=uuid.UUID(term))
        except ValueError:
            pass  # not a uuid: it can only be a stream id
        return queryset.filter(condition), False


@admin.register(Checkpoint)
class CheckpointAdmin(ReadOnlyAdmin):
    list_display = ["name", "position", "updated_at"]

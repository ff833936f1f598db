"""The admin as a window on the log: browse and search events, never change them."""

import json
import uuid

from django.contrib import admin, messages
from django.db.models import Q
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from eventstore import operations
from eventstore.models import Checkpoint, Event, SkippedEvent
from eventstore.subscriptions import get_subscriber


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
    """Subscribers: where each is, its state and last error; retry or skip a failed one."""

    list_display = ["name", "state", "position", "lag", "failed_position", "short_error", "updated_at"]
    list_filter = ["state"]
    fields = ["name", "state", "position", "lag", "failed_position", "last_error", "traceback", "updated_at"]
    actions = ["retry_failed", "skip_failed_event"]

    @admin.display(description="lag (events)")
    def lag(self, checkpoint: Checkpoint) -> int:
        return Event.objects.filter(position__gt=checkpoint.position).count()

    @admin.display(description="last error")
    def short_error(self, checkpoint: Checkpoint) -> str:
        return checkpoint.last_error[:120]

    @admin.display(description="traceback")
    def traceback(self, checkpoint: Checkpoint) -> str:
        return format_html("<pre>{}</pre>", checkpoint.last_traceback)

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    has_skip_permission = has_retry_permission

    @admin.action(description="Retry the event the subscriber stopped at", permissions=["retry"])
    def retry_failed(self, request: HttpRequest, queryset) -> None:
        for checkpoint in queryset:
            try:
                handled = operations.retry(get_subscriber(checkpoint.name))
                self.message_user(request, f"{checkpoint.name}: retried, {handled} events handled.")
            except (LookupError, operations.OperationRefused) as error:
                self.message_user(request, str(error), level=messages.ERROR)

    @admin.action(description="Skip the event the subscriber stopped at (asks why)", permissions=["skip"])
    def skip_failed_event(self, request: HttpRequest, queryset):
        reason = request.POST.get("reason", "").strip()
        if request.POST.get("confirm") != "yes" or not reason:
            context = {**self.admin_site.each_context(request), "checkpoints": queryset, "title": "Skip events"}
            return TemplateResponse(request, "admin/eventstore/skip_event.html", context)
        for checkpoint in queryset:
            try:
                record = operations.skip(get_subscriber(checkpoint.name), by=request.user.get_username(), reason=reason)
                self.message_user(request, f"{checkpoint.name}: skipped event #{record.position}.")
            except (LookupError, operations.OperationRefused) as error:
                self.message_user(request, str(error), level=messages.ERROR)
        return None


@admin.register(SkippedEvent)
class SkippedEventAdmin(ReadOnlyAdmin):
    list_display = ["skipped_at", "subscriber", "position", "event_type", "skipped_by", "reason"]
    list_filter = ["subscriber"]

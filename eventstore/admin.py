"""The admin as the operator's window: browse the log (never change it), follow a stream or a
request, and see and steer the subscribers (projections, sagas)."""

import json
import logging
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from celery import Task
from django.contrib import admin, messages
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from eventstore import operations, tasks
from eventstore.admin_pages import correlation_page, stream_page
from eventstore.models import Checkpoint, Event, Rebuild, SkippedEvent
from eventstore.personal.sealing import open_one
from eventstore.store import EventStore
from eventstore.subscriptions import ensure_checkpoint, get_subscriber, registered_subscribers

logger = logging.getLogger(__name__)


def pretty_json(value: object) -> str:
    return format_html("<pre style='white-space: pre-wrap'>{}</pre>", json.dumps(value, indent=2, sort_keys=True))


M = TypeVar("M", bound=Model)


class ReadOnlyAdmin(admin.ModelAdmin[M]):
    """Nobody, superusers included, may add, change or delete through this admin."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin[Event]):
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
        "correlation_link",
        "pretty_data",
        "pretty_metadata",
    ]

    def get_urls(self) -> list[URLPattern]:
        def view(page: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
            return self.admin_site.admin_view(lambda request, **kwargs: page(request, self, **kwargs))

        return [
            path("stream/<path:stream_id>/", view(stream_page), name="eventstore_event_stream"),
            path("correlation/<path:correlation_id>/", view(correlation_page), name="eventstore_event_correlation"),
            *super().get_urls(),
        ]

    @admin.display(description="stream id", ordering="stream_id")
    def stream_link(self, event: Event) -> str:
        url = reverse("admin:eventstore_event_stream", args=[event.stream_id])
        return format_html(
            '<a href="{}" title="The whole stream in version order, with the state after each event">{}</a>',
            url,
            event.stream_id,
        )

    @admin.display(description="request")
    def correlation_link(self, event: Event) -> str:
        correlation_id = (event.metadata or {}).get("correlation_id")
        if not correlation_id:
            return "—"
        url = reverse("admin:eventstore_event_correlation", args=[correlation_id])
        return format_html('<a href="{}" title="Everything this request caused">{}</a>', url, correlation_id)

    @admin.display(description="data")
    def pretty_data(self, event: Event) -> str:
        return pretty_json(open_one(event.data))  # personal fields opened, or shown as forgotten

    @admin.display(description="metadata")
    def pretty_metadata(self, event: Event) -> str:
        return pretty_json(event.metadata)

    def get_ordering(self, request: HttpRequest) -> tuple[str, ...]:
        # One stream reads in its own order; the whole log, newest first.
        return ("version",) if "stream_id" in request.GET else ("-position",)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Event], search_term: str
    ) -> tuple[QuerySet[Event], bool]:
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
class CheckpointAdmin(ReadOnlyAdmin[Checkpoint]):
    """Subscribers: where each is, its state, lag and last error; rebuild, retry or skip (superusers).

    Rebuild and the catch-up after a retry or skip can take minutes over a big backlog, so
    they run on a Celery worker; the page only records the decision and queues the work.
    """

    list_display = ["name", "state", "position", "lag", "failed_event", "short_error", "updated_at"]
    list_filter = ["state"]
    fields = ["name", "state", "position", "lag", "failed_event", "last_error", "traceback", "updated_at"]
    actions = ["rebuild_subscribers", "retry_failed", "skip_failed_event"]

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        # A subscriber that never ran has no checkpoint row yet; list it all the same.
        for subscriber in registered_subscribers():
            ensure_checkpoint(subscriber.name)
        return super().changelist_view(request, extra_context)

    @admin.display(description="lag (events)")
    def lag(self, checkpoint: Checkpoint) -> int:
        return operations.lag_after(checkpoint.position, EventStore().head())  # positions, not a count

    @admin.display(description="failed at", ordering="failed_position")
    def failed_event(self, checkpoint: Checkpoint) -> str:
        if checkpoint.failed_position is None:
            return "—"
        url = reverse("admin:eventstore_event_change", args=[checkpoint.failed_position])
        return format_html('<a href="{}">#{}</a>', url, checkpoint.failed_position)

    @admin.display(description="last error")
    def short_error(self, checkpoint: Checkpoint) -> str:
        return checkpoint.last_error[:120]

    @admin.display(description="traceback")
    def traceback(self, checkpoint: Checkpoint) -> str:
        return format_html("<pre>{}</pre>", checkpoint.last_traceback)

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    has_skip_permission = has_retry_permission
    has_rebuild_permission = has_retry_permission

    @admin.action(description="Rebuild from the whole log (on a worker)", permissions=["rebuild"])
    def rebuild_subscribers(self, request: HttpRequest, queryset: QuerySet[Checkpoint]) -> None:
        for checkpoint in queryset:
            try:
                get_subscriber(checkpoint.name)
            except LookupError as error:
                self.message_user(request, str(error), level=messages.ERROR)
                continue
            if self.queue(request, tasks.rebuild_subscriber, checkpoint.name, fallback="rebuild_projections NAME"):
                self.message_user(
                    request, f"Rebuild of {checkpoint.name} queued; its state shows rebuilding while it runs."
                )

    @admin.action(description="Retry the event the subscriber stopped at", permissions=["retry"])
    def retry_failed(self, request: HttpRequest, queryset: QuerySet[Checkpoint]) -> None:
        for checkpoint in queryset:
            try:
                operations.clear_for_retry(get_subscriber(checkpoint.name))
            except (LookupError, operations.OperationRefused) as error:
                self.message_user(request, str(error), level=messages.ERROR)
                continue
            if self.queue(request, tasks.catch_up_subscriber, checkpoint.name, fallback=None):
                self.message_user(request, f"Retry of {checkpoint.name} queued; its error is cleared.")

    @admin.action(description="Skip the event the subscriber stopped at (asks why)", permissions=["skip"])
    def skip_failed_event(self, request: HttpRequest, queryset: QuerySet[Checkpoint]) -> HttpResponse | None:
        reason = request.POST.get("reason", "").strip()
        if request.POST.get("confirm") != "yes" or not reason:
            context = {**self.admin_site.each_context(request), "checkpoints": queryset, "title": "Skip events"}
            return TemplateResponse(request, "admin/eventstore/skip_event.html", context)
        for checkpoint in queryset:
            try:
                subscriber = get_subscriber(checkpoint.name)
                record = operations.record_skip(subscriber, by=request.user.get_username(), reason=reason)
            except (LookupError, operations.OperationRefused) as error:
                self.message_user(request, str(error), level=messages.ERROR)
                continue
            self.message_user(request, f"Skipped event #{record.position} for {checkpoint.name}.")
            if self.queue(request, tasks.catch_up_subscriber, checkpoint.name, fallback=None):
                self.message_user(request, f"Catch-up of {checkpoint.name} queued.")
        return None

    def queue(self, request: HttpRequest, task: "Task[Any, Any]", name: str, fallback: str | None) -> bool:
        """Send `task(name)` to the workers; on a broker outage say what happens instead."""
        try:
            task.delay(name)
        except Exception as error:  # kombu's OperationalError and friends: the broker is unreachable
            logger.warning("could not queue %s for %s: %s", task.name, name, error)
            if fallback is None:
                # The running subscriber is behind the head, so the periodic sweep catches it up.
                self.message_user(
                    request,
                    f"Broker unreachable: {name} catches up at the periodic sweep once the broker is back.",
                    level=messages.WARNING,
                )
            else:
                command = fallback.replace("NAME", name)
                self.message_user(
                    request,
                    f"Broker unreachable: nothing was queued for {name}; run `manage.py {command}`.",
                    level=messages.ERROR,
                )
            return False
        return True


@admin.register(Rebuild)
class RebuildAdmin(ReadOnlyAdmin[Rebuild]):
    """Blue/green rebuilds: the one under way with its progress, and the last one of each projection."""

    list_display = ["name", "state", "progress", "events", "speed", "eta", "started_at", "updated_at", "last_error"]
    fields = [
        "name", "state", "progress", "events", "speed", "eta", "started_at", "updated_at", "finished_at",
        "schema", "last_error",
    ]  # fmt: skip

    @admin.display(description="position / head")
    def progress(self, rebuild: Rebuild) -> str:
        share = rebuild.position / rebuild.head if rebuild.head else 1.0
        return f"{rebuild.position:,} / {rebuild.head:,} ({share:.1%})"

    @admin.display(description="events/s")
    def speed(self, rebuild: Rebuild) -> str:
        return f"{rebuild.events_per_second:,.0f}"

    @admin.display(description="ETA")
    def eta(self, rebuild: Rebuild) -> str:
        eta = rebuild.eta_seconds
        return "—" if eta is None else f"{eta:,.0f} s"


@admin.register(SkippedEvent)
class SkippedEventAdmin(ReadOnlyAdmin[SkippedEvent]):
    list_display = ["skipped_at", "subscriber", "position", "event_type", "skipped_by", "reason"]
    list_filter = ["subscriber"]

"""`GET /api/events/`: the event log itself, read-only, for operators and integrations.

Events are shown as stored (`schema_version` says which shape `data` has), except that
personal fields are opened (`eventstore.personal`): forgotten ones read as null, with
`"forgotten": true`; the read side
never writes one. Pages are keyset pages over `position` (DRF's `CursorPagination`): a
cursor says "after position P", so events appended while a client pages through the log
never shift or repeat a page, and the event store's commit-time numbering guarantees no
event commits later with a lower position than one already seen.
"""

from typing import Any

import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request

from api.parsing import MAX_POSITION, bounds_schema, is_whole_number, whole_number_param
from eventstore.models import Event
from eventstore.personal.sealing import open_many, open_one
from eventstore.store import RecordedEvent
from queries_app.filters import StrictOrderingFilter, WholeNumberFilter


class EventListSerializer(serializers.ListSerializer):
    """A page of events, their personal fields opened with one key look-up for the page."""

    def to_representation(self, data: Any) -> list:
        events = list(data.all() if hasattr(data, "all") else data)
        for event, opened in zip(events, open_many([event.data for event in events]), strict=True):
            event.data = opened  # read-only: the instance is never saved
        return super().to_representation(events)


class EventSerializer(serializers.ModelSerializer):
    """One event as stored, but personal fields opened: forgotten ones are null with `"forgotten": true`."""

    class Meta:
        model = Event
        fields = list(RecordedEvent.COLUMNS)
        list_serializer_class = EventListSerializer

    def to_representation(self, instance: Event) -> dict:
        instance.data = open_one(instance.data)  # a no-op for data the page already opened
        return super().to_representation(instance)


class EventFilter(django_filters.FilterSet):
    stream_id = django_filters.CharFilter(help_text="Only this stream's events (the aggregate id).")
    stream_type = django_filters.CharFilter(help_text="Only streams of this type, e.g. `Order`.")
    event_type = django_filters.CharFilter(help_text="Only events of this type, e.g. `OrderPlaced`.")
    correlation_id = django_filters.CharFilter(
        field_name="metadata__correlation_id",
        max_length=100,
        help_text="Only events caused by the request with this correlation id (`X-Correlation-ID`).",
    )
    after = WholeNumberFilter(
        field_name="position",
        lookup_expr="gt",
        min_value=0,
        max_value=MAX_POSITION,
        help_text="Only events after this global position.",
    )

    class Meta:
        model = Event
        fields = ["stream_id", "stream_type", "event_type", "correlation_id", "after"]


class EventCursorPagination(CursorPagination):
    """Keyset pages by position, oldest first unless `?ordering=-position`."""

    ordering = "position"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_size(self, request: Request) -> int:
        size = whole_number_param(request, self.page_size_query_param, 1)
        return self.page_size if size is None else min(size, self.max_page_size)

    def get_schema_operation_parameters(self, view: Any) -> list[dict]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = bounds_schema(1)
        return parameters

    def decode_cursor(self, request: Any) -> Any:
        # DRF answers a cursor it cannot decode with 404; it is a malformed parameter: 400.
        if not request.query_params.get(self.cursor_query_param):
            return None  # absent, or empty: the first page
        try:
            return super().decode_cursor(request)
        except NotFound as error:
            raise ValidationError({self.cursor_query_param: [str(error.detail)]}) from error


@extend_schema_view(
    list=extend_schema(summary="List stored events", tags=["events"]),
    retrieve=extend_schema(
        summary="One stored event, by position",
        description="One event as stored, by its global position.",
        tags=["events"],
        parameters=[OpenApiParameter("position", OpenApiTypes.INT64, OpenApiParameter.PATH)],
    ),
)
class EventViewSet(viewsets.ReadOnlyModelViewSet):
    """The event log, in global order; filter by stream, type, correlation id or position."""

    queryset = Event.objects.all()
    serializer_class = EventSerializer
    filterset_class = EventFilter
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend, StrictOrderingFilter]
    ordering_fields = ["position"]
    ordering = ["position"]
    pagination_class = EventCursorPagination
    lookup_field = "position"
    lookup_value_regex = "[^/]+"  # let `1.5` reach `get_object`, to be refused with a 400 rather than a 404

    def get_object(self) -> Event:
        # A malformed position is the client's mistake (400), not a missing event (404).
        value = self.kwargs[self.lookup_field]
        if not is_whole_number(value) or int(value) > MAX_POSITION:
            raise ValidationError({"position": [f"Must be a whole number from 0 to {MAX_POSITION}."]})
        return super().get_object()

"""Time travel: `GET /api/streams/<stream_id>/?version=N` or `?at=<ISO datetime>`.

Answers with the aggregate's state as of that point, rebuilt from the store (never from a
read model, by `commands_app.replay`), and the events that built it. Without `version` or
`at`, the current state. This module parses and answers; it decides nothing.
"""

from datetime import UTC, datetime

from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ParseError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.parsing import MAX_POSITION, as_utc, is_whole_number
from commands_app.replay import aggregate_state
from eventstore.store import EventStore, RecordedEvent


class StreamEventSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    version = serializers.IntegerField()
    event_type = serializers.CharField()
    data = serializers.JSONField()  # type: ignore[assignment]  # output only: Serializer.data is never read
    metadata = serializers.JSONField()
    recorded_at = serializers.DateTimeField()


class StreamStateSerializer(serializers.Serializer):
    """The aggregate as of a point in its stream; `state` is null for a stream type with no aggregate class."""

    stream_id = serializers.CharField()
    stream_type = serializers.CharField()
    version = serializers.IntegerField()
    current_version = serializers.IntegerField()
    state = serializers.JSONField(allow_null=True)
    events = StreamEventSerializer(many=True)


def parse_version(value: str) -> int:
    if not is_whole_number(value) or int(value) < 1:
        raise ParseError(f"version must be a whole number, 1 or more; got {value!r}.")
    return int(value)


def parse_at(value: str) -> datetime:
    # An unencoded "+" of a UTC offset arrives as a space ("…T10:00:00 01:00").
    text = value.strip().replace(" ", "+") if "T" in value else value.strip()
    try:
        at = parse_datetime(text)
    except ValueError:
        at = None
    if at is None:
        raise ParseError(
            f"at must be an ISO 8601 date and time, such as 2026-11-24T14:00:00Z (encode '+' as %2B); got {value!r}."
        )
    if at.tzinfo is None:
        return at.replace(tzinfo=UTC)  # naive times are UTC, as the store's
    try:
        return as_utc(at)
    except OverflowError:
        raise ParseError(f"at is out of range once converted to UTC; got {value!r}.") from None


class StreamStateView(APIView):
    """`GET /api/streams/<stream_id>/`: the aggregate's state and events up to `version` or `at`."""

    serializer_class = StreamStateSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "version",
                {"type": "integer", "minimum": 1, "maximum": MAX_POSITION},
                description="The state after this event version (1 or more).",
            ),
            OpenApiParameter("at", datetime, description="The state as of this time (ISO 8601; naive means UTC)."),
        ],
        responses=StreamStateSerializer,
    )
    def get(self, request: Request, stream_id: str) -> Response:
        if "\x00" in stream_id or len(stream_id) > 128:
            raise NotFound(f"No stream with id {stream_id!r}.")  # no such id can be stored
        # An empty value counts as not given, as everywhere in the API (HTML forms send them).
        version_param = request.query_params.get("version") or None
        at_param = request.query_params.get("at") or None
        if version_param is not None and at_param is not None:
            raise ParseError("Give version or at, not both.")
        version = None if version_param is None else parse_version(version_param)
        at = None if at_param is None else parse_at(at_param)

        store = EventStore()
        current = store.stream_version(stream_id)
        if current == 0:
            raise NotFound(f"No stream with id {stream_id}.")
        if version is not None and version > current:
            raise ParseError(f"Stream {stream_id} is at version {current}; ask for a version from 1 to {current}.")
        events = store.load(stream_id, up_to_version=version, recorded_until=at)
        if not events:
            # Only a time before the stream's first event leaves none.
            raise NotFound(f"Stream {stream_id} had no events yet at {at.isoformat() if at else at_param}.")
        body = {
            "stream_id": stream_id,
            "stream_type": events[0].stream_type,
            "version": events[-1].version,
            "current_version": current,
            "state": aggregate_state(stream_id, events),
            "events": [event_body(event) for event in events],
        }
        return Response(StreamStateSerializer(body).data)


def event_body(event: RecordedEvent) -> dict:
    return {
        "position": event.position,
        "version": event.version,
        "event_type": event.event_type,
        "data": event.data,
        "metadata": event.metadata,
        "recorded_at": event.recorded_at,
    }

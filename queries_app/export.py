"""`GET /api/customers/<id>/export/`: everything stored about one customer (GDPR art. 15).

Every event of the customer's stream and of the orders they placed, with personal fields
opened (or marked forgotten), and the read-model rows about them. Needs
`commands_app.forget_subjects`, the permission that may also erase them: a copy of a
person's data is as sensitive as the data. Read from the log, so it is complete even while a
projection lags; the read-model rows are as of the last projected event.
"""

from typing import Any

from django.db.models import Q
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from eventstore.models import Event
from eventstore.personal.sealing import open_rows
from eventstore.store import DATA_COLUMN, RecordedEvent
from eventstore.upcasting import registered_upcasters

FORGET_SUBJECTS = "commands_app.forget_subjects"


class CanExportSubjects(BasePermission):
    message = (
        f"You do not have permission to export a customer's personal data (missing permission `{FORGET_SUBJECTS}`)."
    )

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.has_perm(FORGET_SUBJECTS))


def subject_events(customer_id: str) -> list[dict[str, Any]]:
    """The customer's own stream, then every stream of an order they placed, in log order."""
    order_ids = Event.objects.filter(event_type="OrderPlaced", data__customer_id=customer_id).values("stream_id")
    rows = Event.objects.filter(Q(stream_id=customer_id) | Q(stream_id__in=order_ids)).order_by("position")
    upcasters = registered_upcasters()
    values = open_rows(list(rows.values_list(*RecordedEvent.COLUMNS)), DATA_COLUMN)
    return [event_json(RecordedEvent.from_values(row, upcasters)) for row in values]


def event_json(event: RecordedEvent) -> dict[str, Any]:
    return {
        "position": event.position,
        "stream_type": event.stream_type,
        "stream_id": event.stream_id,
        "version": event.version,
        "event_type": event.event_type,
        "schema_version": event.schema_version,
        "data": event.data,
        "metadata": event.metadata,
        "recorded_at": event.recorded_at.isoformat(),
    }

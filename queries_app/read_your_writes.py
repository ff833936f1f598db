"""Read-your-writes: `?min_position=P` answers once the projections behind an endpoint reach P.

A command's response carries the global position of its last event. A client that passes
it as `min_position` to a query endpoint gets an answer that includes that command's
effects, or, past `READ_YOUR_WRITES_TIMEOUT_SECONDS`, a 503 naming the projection that is
behind, with `Retry-After`. Every answer says how far its projections had read in
`X-Projection-Position`, and which database answered in `X-Read-Database` (a hot standby
of the read database when one is configured and has the position, see `eventstore.replicas`).
The wait polls the checkpoints outside any transaction, so it
holds no lock and keeps no query running on the database while it sleeps.
"""

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from django.conf import settings
from django.db import DatabaseError, router, transaction
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from api.parsing import MAX_POSITION, is_whole_number
from eventstore.models import Checkpoint, Event
from eventstore.replicas import checkpoint_positions, choose_reader, mark_down, read_primary, replica_aliases

POSITION_HEADER = "X-Projection-Position"
# Which database answered: a replica's alias (`read_replica_1`) or the read primary's (`read`).
DATABASE_HEADER = "X-Read-Database"
POLL_SECONDS = 0.02

MIN_POSITION_PARAMETER = OpenApiParameter(
    "min_position",
    {"type": "integer", "format": "int64", "minimum": 0, "maximum": MAX_POSITION},
    description=(
        "Answer only once this endpoint's projections have handled the log up to this position "
        "(the `position` a command returned); 503 with Retry-After if they have not within the timeout."
    ),
)

SETTLED_PARAMETER = OpenApiParameter(
    "settled",
    {"type": "string", "enum": ["true", "false"]},
    description=(
        "`true`: answer only once the sagas have acted on the log up to `min_position` (or, without it, "
        "up to now) and this endpoint's projections have read what they wrote: an order placed at "
        "`min_position` is then confirmed or cancelled. 503 with Retry-After if not within the timeout."
    ),
)


class ProjectionBehind(APIException):
    """503: a projection has not reached the requested position in time. DRF sends `wait` as Retry-After."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "projection_behind"

    def __init__(self, detail: str, retry_after: int = 1) -> None:
        super().__init__(detail)
        self.wait = retry_after


class PositionField(serializers.IntegerField):
    """Digits only: DRF's `IntegerField` also reads `0.0` as 0 (schemathesis found it)."""

    def to_internal_value(self, data: Any) -> int:
        if not is_whole_number(data):
            self.fail("invalid")
        return super().to_internal_value(data)


class MinPositionSerializer(serializers.Serializer):
    min_position = PositionField(min_value=0, max_value=MAX_POSITION, required=False)
    # Empty (as an HTML form sends it) is the same as absent.
    settled = serializers.ChoiceField(choices=["true", "false"], required=False, allow_blank=True)


def projection_positions(names: tuple[str, ...]) -> dict[str, int]:
    found = dict(Checkpoint.objects.filter(name__in=names).values_list("name", "position"))
    return {name: found.get(name, 0) for name in names}


def log_head() -> int:
    return Event.objects.order_by("-position").values_list("position", flat=True).first() or 0


def refuse_positions_past_the_log(min_position: int) -> None:
    """400 for a position no command has returned yet: waiting could only end in a misleading 503."""
    if min_position == 0:
        return
    last = log_head()
    if min_position > last:
        raise ValidationError(
            {"min_position": [f"Position {min_position} is past the end of the log (last position {last})."]}
        )


def wait_for_projections(names: tuple[str, ...], min_position: int, timeout: float, using: str | None = None) -> int:
    """The lowest of the projections' positions (in the database `using`) once all are at `min_position` or past it."""
    deadline = time.monotonic() + timeout
    while True:
        positions = checkpoint_positions(using, names) if using else projection_positions(names)
        lowest = min(positions.values())
        if lowest >= min_position:
            return lowest
        if time.monotonic() >= deadline:
            behind = ", ".join(
                f"{name} is at position {position}, {min_position - position} behind"
                for name, position in positions.items()
                if position < min_position
            )
            raise ProjectionBehind(
                f"Not caught up to position {min_position} within {timeout:g}s: {behind}. Try again shortly."
            )
        time.sleep(POLL_SECONDS)


if TYPE_CHECKING:  # what the mixin is mixed into, so its super() calls type-check
    from rest_framework.views import APIView as _MixedInto
else:
    _MixedInto = object


class ReadYourWritesMixin(_MixedInto):
    """For read-only views over read models; set `projections` to the subscribers that fill them."""

    projections: ClassVar[tuple[str, ...]] = ()
    # The process managers (sagas) whose commands `?settled=true` waits for.
    processes: ClassVar[tuple[str, ...]] = ()
    # Declared in the schema on the 200 (`api.openapi.ProjectAutoSchema`).
    success_response_headers: ClassVar[dict[str, dict]] = {
        POSITION_HEADER: {
            "description": "The log position this answer's projections had read up to (the lowest of them): "
            "the answer includes the effects of every command whose `position` is at most this.",
            "required": True,
            "schema": {"type": "integer", "format": "int64", "minimum": 0},
        },
        DATABASE_HEADER: {
            "description": "Which database answered: `read` (or `default`) for the read primary, "
            "`read_replica_N` for a hot standby (docs/read-database.md).",
            "required": True,
            "schema": {"type": "string"},
        },
    }

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # authenticated first: strangers wait for nothing
        params = MinPositionSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        min_position = params.validated_data.get("min_position")
        settled = params.validated_data.get("settled") == "true"
        if min_position is not None:
            refuse_positions_past_the_log(min_position)
        started = time.monotonic()
        if settled:
            # First the sagas act on the log up to the target (their commands commit before
            # their checkpoint moves, on the read primary); then the answer waits for the
            # projections to read up to what they wrote, like any `min_position`.
            target = log_head() if min_position is None else min_position
            if self.processes:
                wait_for_projections(self.processes, target, settings.READ_YOUR_WRITES_TIMEOUT_SECONDS)
                target = log_head()
            min_position = target
        # A replica that has the position answers from its own replicated checkpoints
        # (eventstore.replicas); otherwise the read primary does, waiting as long as is left.
        reader = choose_reader(self.projections, min_position)
        self.read_database = reader.alias
        if reader.positions:
            self.projection_position = reader.position
        elif min_position is None:
            self.projection_position = min(checkpoint_positions(reader.alias, self.projections).values())
        else:
            timeout = max(settings.READ_YOUR_WRITES_TIMEOUT_SECONDS - (time.monotonic() - started), 0.0)
            self.projection_position = wait_for_projections(self.projections, min_position, timeout, reader.alias)

    def get_queryset(self) -> Any:
        """The view's queryset on the database chosen for this request (a replica, or the read primary)."""
        queryset = super().get_queryset()  # type: ignore[misc]
        alias = getattr(self, "read_database", None)
        return queryset.using(alias) if alias else queryset

    # Each answer reads its tables in one transaction, on the database that answers it: the lock
    # it takes on a table at first read holds until the answer is built, so a blue/green
    # rebuild's swap (which waits for that lock) lands between answers, never between a page's
    # count and its rows, or an order and its lines.
    def answering_database(self) -> str:
        """The alias `initial` chose (a replica or the read primary); before that, the read primary."""
        return getattr(self, "read_database", None) or router.db_for_read(Checkpoint)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.answer(super().list, request, *args, **kwargs)  # type: ignore[misc]  # the viewset's

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.answer(super().retrieve, request, *args, **kwargs)  # type: ignore[misc]  # the viewset's

    def answer(self, view: Callable[..., Response], request: Request, *args: Any, **kwargs: Any) -> Response:
        """`view` in one transaction; a replica that fails it (cancelled by replayed DDL, gone) is
        marked down and the read primary answers, which has all the replica had and more."""
        alias = self.answering_database()
        try:
            with transaction.atomic(using=alias):
                return view(request, *args, **kwargs)
        except DatabaseError:
            if alias not in replica_aliases():
                raise
            mark_down(alias)
            self.read_database = read_primary()
        with transaction.atomic(using=self.read_database):
            return view(request, *args, **kwargs)

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        if hasattr(self, "projection_position"):
            response[POSITION_HEADER] = str(self.projection_position)
        if hasattr(self, "read_database"):
            response[DATABASE_HEADER] = self.read_database
        return response

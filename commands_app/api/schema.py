"""OpenAPI documentation of the command endpoints: request, success body, every error status.

`CommandView` is one class serving every command; the schema needs one operation per
command, so `documented_command_view()` makes a small subclass per command serializer and
annotates its `post` with drf-spectacular's `extend_schema_view`. Behaviour is unchanged.
"""

from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework.views import APIView

from api.errors import ConflictErrorSerializer, ErrorSerializer, InvalidInputErrorSerializer, ServerErrorSerializer
from api.openapi import GENERIC_ERRORS
from commands_app.api.refusals import refusals_of
from commands_app.api.serializers import CommandResultSerializer, CommandSerializer
from commands_app.api.views import CORRELATION_HEADER, CommandView
from commands_app.idempotency import IDEMPOTENCY_HEADER, MAX_KEY_LENGTH

COMMAND_TAG = "commands"

# One entry per status `api.errors.exception_handler` (and DRF) can answer; said for commands,
# where the generic wording (`api.openapi.GENERIC_ERRORS`) would be vaguer.
COMMAND_ERROR_RESPONSES: dict[int, OpenApiResponse] = {
    400: OpenApiResponse(
        InvalidInputErrorSerializer,
        description="Invalid input: a malformed body, an unknown field, or a rule the command checks alone.",
        examples=[
            OpenApiExample(
                "A field error",
                value={"detail": "Invalid input. email: Enter a valid email address.", "errors": {"email": ["…"]}},
                status_codes=["400"],
            )
        ],
    ),
    401: OpenApiResponse(ErrorSerializer, description=GENERIC_ERRORS["401"][1]),
    403: OpenApiResponse(ErrorSerializer, description="Logged in, but not allowed to send commands."),
    404: OpenApiResponse(ErrorSerializer, description="The command targets an aggregate that does not exist."),
    409: OpenApiResponse(
        ConflictErrorSerializer,
        description="`expected_version` did not match (reload and retry), the new aggregate's id is taken, "
        "or a value that must be unique is another aggregate's (`errors` names the field).",
    ),
    413: OpenApiResponse(ErrorSerializer, description="The body is larger than `REQUEST_BODY_MAX_BYTES` (64 KiB)."),
    415: OpenApiResponse(ErrorSerializer, description="The body is not `application/json`."),
    422: OpenApiResponse(ErrorSerializer, description="A rule that needs the aggregate's state refused the command."),
    500: OpenApiResponse(ServerErrorSerializer, description="An unexpected failure; nothing was written."),
    503: OpenApiResponse(
        ErrorSerializer,
        description="Busy: without `expected_version` a conflict is retried, and others kept writing to the "
        "aggregate through every try. Nothing was written; send it again after `Retry-After` seconds.",
    ),
}


COMMAND_HEADERS = [
    OpenApiParameter(
        CORRELATION_HEADER,
        str,
        OpenApiParameter.HEADER,
        description="Your id for this request (up to 100 printable characters); stamped on the events "
        "and echoed back. A new one is made when absent.",
    ),
    OpenApiParameter(
        IDEMPOTENCY_HEADER,
        # What `views.idempotency_key` accepts; anything else is a 400 (schemathesis sent it).
        {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH, "pattern": r"^[ -~]*[!-~][ -~]*$"},
        OpenApiParameter.HEADER,
        description="Send the same key again (e.g. a UUID) and get the first answer again, "
        "marked `Idempotent-Replayed: true`, instead of a second effect.",
    ),
]


def operation_id(serializer_class: type[CommandSerializer]) -> str:
    """`place-order` -> `place_order`: unique per command, and a valid identifier for client generators."""
    return serializer_class.command_class.command_type().replace("-", "_")


def command_summary(serializer_class: type[CommandSerializer]) -> str:
    """The command's docstring's first line, else its name as words ("Place order")."""
    command_class = serializer_class.command_class
    # A dataclass without a docstring gets a generated one ("PlaceOrder(*, command_id=…)").
    doc = (command_class.__doc__ or "").strip()
    if doc and not doc.startswith(f"{command_class.__name__}("):
        return doc.splitlines()[0]
    return command_class.command_type().replace("-", " ").capitalize()


def command_error_responses(serializer_class: type[CommandSerializer]) -> dict[int, OpenApiResponse]:
    """The shared error responses, each status with this command's own refusals (`api.refusals`) listed."""
    command_type = serializer_class.command_class.command_type()
    responses = {}
    for status, shared in COMMAND_ERROR_RESPONSES.items():
        own = refusals_of(command_type, status)
        if not own:
            responses[status] = shared
            continue
        listed = "\n".join(f"- {refusal.when}" for refusal in own)
        description = f"{shared.description}\n\nFor `{command_type}`:\n{listed}"
        responses[status] = OpenApiResponse(shared.response, description=description, examples=shared.examples)
    return responses


def documented_command_view(serializer_class: type[CommandSerializer]) -> type[APIView]:
    """A `CommandView` for one command, whose schema names its fields, result and errors."""
    command_class = serializer_class.command_class
    view = type(
        f"{command_class.__name__}View",
        (CommandView,),
        {"serializer_class": serializer_class, "__doc__": CommandView.__doc__, "__module__": __name__},
    )
    schema = extend_schema(
        operation_id=operation_id(serializer_class),
        summary=command_summary(serializer_class),
        description=(
            f"Sends `{command_class.__name__}`. On success the body says which aggregate changed, its new "
            "version, the log position of the last event (use it with read-your-writes) and the event types. "
            "A command that would change nothing writes no event: 200 with the current version and `events: []`."
        ),
        tags=[COMMAND_TAG],
        request=serializer_class,
        parameters=COMMAND_HEADERS,
        responses={200: CommandResultSerializer, **command_error_responses(serializer_class)},
    )
    return extend_schema_view(post=schema)(view)

"""The command endpoints: parse the body, dispatch on the bus, answer with what happened."""

import dataclasses
from typing import Any, ClassVar

from django.core.exceptions import ImproperlyConfigured
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.correlation import CORRELATION_HEADER, correlation_id
from api.parsers import BoundedJSONParser
from commands_app.api.permissions import CanSendCommands
from commands_app.api.serializers import CommandResultSerializer, CommandSerializer
from commands_app.framework.bus import CommandContext, IdempotencyKey
from commands_app.framework.errors import CommandInvalid
from commands_app.idempotency import IDEMPOTENCY_HEADER, MAX_KEY_LENGTH, request_fingerprint
from commands_app.wiring import command_bus

REPLAYED_HEADER = "Idempotent-Replayed"


def idempotency_key(request: Request, command_type: str) -> IdempotencyKey | None:
    """The request's `Idempotency-Key`, scoped to its user; None when the client sent none.

    Scoped by user id, not name: a key can never replay another user's result, even one
    who later takes a renamed user's old name.
    """
    given = request.headers.get(IDEMPOTENCY_HEADER)
    if given is None:
        return None
    key = given.strip()
    if not (key and len(key) <= MAX_KEY_LENGTH and key.isascii() and key.isprintable()):
        raise CommandInvalid(
            {IDEMPOTENCY_HEADER: [f"Must be 1 to {MAX_KEY_LENGTH} printable ASCII characters, e.g. a UUID."]}
        )
    return IdempotencyKey(
        scope=f"user:{request.user.pk}", key=key, fingerprint=request_fingerprint(command_type, request.data)
    )


class CommandView(APIView):
    """`POST /api/commands/<command-name>/`: one command, answered 200 with its result.

    Every answer, errors included, carries `X-Correlation-ID` (the client's, or a new one),
    the id under which the command is logged and its events are stamped. With an
    `Idempotency-Key`, a repeated request gets the first answer again, marked
    `Idempotent-Replayed: true`.
    """

    serializer_class: ClassVar[type[CommandSerializer] | None] = None
    # Reading needs a login; writing also needs `commands_app.send_commands`.
    permission_classes = [IsAuthenticated, CanSendCommands]
    # A command is a JSON document: form encodings cannot say "a list of objects", and DRF
    # would read `items=…` fields as an empty list (fuzzing found it). Anything else is 415.
    parser_classes = [BoundedJSONParser]
    throttle_scope = "commands"
    # Declared in the schema on the 200 (`api.openapi.ProjectAutoSchema`).
    success_response_headers: ClassVar[dict[str, dict]] = {
        REPLAYED_HEADER: {
            "description": "`true` when this is the stored first answer to an earlier request with the same "
            "`Idempotency-Key` (nothing was written this time); absent otherwise.",
            "required": False,
            "schema": {"type": "string", "enum": ["true"]},
        }
    }

    def get_serializer(self, *args, **kwargs) -> CommandSerializer:  # drf-spectacular and the browsable API use this
        return self.command_serializer_class()(*args, **kwargs)

    @classmethod
    def command_serializer_class(cls) -> type[CommandSerializer]:
        if cls.serializer_class is None:
            raise ImproperlyConfigured(f"{cls.__name__} names no serializer_class.")
        return cls.serializer_class

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        # Resolved before authentication, so even a refused request echoes it.
        self.correlation_id = correlation_id(request)
        super().initial(request, *args, **kwargs)

    def post(self, request: Request) -> Response:
        command_type = self.command_serializer_class().command_class.command_type()
        idempotency = idempotency_key(request, command_type)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        context = CommandContext(
            user=request.user.get_username(), correlation_id=self.correlation_id, idempotency=idempotency
        )
        result = command_bus().dispatch(serializer.to_command(), context)
        body = CommandResultSerializer(dataclasses.asdict(result)).data
        return Response(body, headers={REPLAYED_HEADER: "true"} if result.replayed else None)

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        if getattr(self, "correlation_id", None):
            response[CORRELATION_HEADER] = self.correlation_id
        return response

"""The command endpoints: parse the body, dispatch on the bus, answer with what happened."""

import dataclasses
import uuid
from typing import ClassVar

from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from commands_app.api.serializers import CommandResultSerializer, CommandSerializer
from commands_app.framework.bus import CommandContext
from commands_app.wiring import command_bus

CORRELATION_HEADER = "X-Correlation-ID"


def correlation_id(request: Request) -> str:
    """The client's correlation id when it is a sane token, else a new one."""
    given = request.headers.get(CORRELATION_HEADER, "").strip()
    if given and len(given) <= 100 and given.isprintable():
        return given
    return str(uuid.uuid4())


class CommandView(APIView):
    """`POST /api/commands/<command-name>/`: one command, answered 200 with its result."""

    serializer_class: ClassVar[type[CommandSerializer] | None] = None

    def get_serializer(self, *args, **kwargs) -> CommandSerializer:  # drf-spectacular and the browsable API use this
        return self.serializer_class(*args, **kwargs)

    def post(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        context = CommandContext(user=request.user.get_username(), correlation_id=correlation_id(request))
        result = command_bus().dispatch(serializer.to_command(), context)
        body = CommandResultSerializer(dataclasses.asdict(result)).data
        return Response(body, headers={CORRELATION_HEADER: context.correlation_id})

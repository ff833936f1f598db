"""Every error answer of the API: one exception handler (the right status, always a `detail`), and its bodies.

`exception_handler` is `REST_FRAMEWORK["EXCEPTION_HANDLER"]`, so the command endpoints, the
read models' viewsets and the event log all answer errors the same way. The serializers at
the end document those bodies in the schema (`api.openapi`); they never parse anything.
"""

import logging
import uuid
from typing import Any

from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from commands_app.framework.errors import (
    AggregateAlreadyExists,
    AggregateNotFound,
    CommandError,
    CommandFailed,
    CommandInvalid,
    DomainError,
)
from commands_app.idempotency import IdempotencyKeyInUse, IdempotencyKeyReused
from eventstore.store import ConcurrencyError

logger = logging.getLogger("commands")

STATUS_BY_ERROR: list[tuple[type[Exception], int]] = [
    (CommandInvalid, status.HTTP_400_BAD_REQUEST),
    (AggregateNotFound, status.HTTP_404_NOT_FOUND),
    (AggregateAlreadyExists, status.HTTP_409_CONFLICT),
    (DomainError, status.HTTP_422_UNPROCESSABLE_ENTITY),
    (IdempotencyKeyReused, status.HTTP_422_UNPROCESSABLE_ENTITY),
    (IdempotencyKeyInUse, status.HTTP_409_CONFLICT),
    (CommandFailed, status.HTTP_500_INTERNAL_SERVER_ERROR),
]


def summarize(errors: Any, prefix: str = "") -> list[str]:
    """Flatten DRF's nested field errors into "field: message" lines."""
    if isinstance(errors, dict):
        return [
            line
            for key, value in errors.items()
            for line in summarize(value, f"{prefix}{key}." if key != "non_field_errors" else prefix)
        ]
    if isinstance(errors, list):
        if all(not isinstance(item, dict | list) for item in errors):
            return [f"{prefix.rstrip('.')}: {item}" if prefix else str(item) for item in errors]
        return [
            line
            for index, item in enumerate(errors)
            if item
            for line in summarize(item, f"{prefix.rstrip('.')}[{index}].")
        ]
    return [f"{prefix.rstrip('.')}: {errors}" if prefix else str(errors)]


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, ConcurrencyError):
        return Response(
            {"detail": f"Conflict: {exc}. Reload and try again.", "current_version": exc.actual_version},
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, CommandError):
        code = next(code for error_type, code in STATUS_BY_ERROR if isinstance(exc, error_type))
        body: dict[str, Any] = {"detail": exc.detail}
        if isinstance(exc, CommandInvalid):
            body["errors"] = exc.errors
        if isinstance(exc, CommandFailed):
            body["error_id"] = exc.error_id
        return Response(body, status=code)
    response = drf_exception_handler(exc, context)
    if response is None:
        return unexpected_error(exc, context)
    if isinstance(exc, ValidationError):
        errors = response.data
        response.data = {"detail": "Invalid input. " + " ".join(summarize(errors)), "errors": errors}
    return response


def unexpected_error(exc: Exception, context: dict) -> Response:
    """A bug outside the command bus (which has its own `RecoveryMiddleware`): 500 with an error id.

    Logged with its traceback; the client never sees one, even with DEBUG on.
    """
    error_id = uuid.uuid4().hex[:12]
    request = context.get("request")
    logger.error(
        "%s %s failed unexpectedly (error id %s, correlation id %s)",
        getattr(request, "method", "?"),
        getattr(request, "path", "?"),
        error_id,
        getattr(context.get("view"), "correlation_id", None),
        exc_info=exc,
    )
    detail = f"The request failed unexpectedly. Error id: {error_id}."
    return Response({"detail": detail, "error_id": error_id}, status=status.HTTP_500_INTERNAL_SERVER_ERROR)


# Error bodies, for the schema only: `exception_handler` above builds them.


class ErrorSerializer(serializers.Serializer):
    """Every error body: a human-readable `detail` that says what to fix."""

    detail = serializers.CharField()


class InvalidInputErrorSerializer(ErrorSerializer):
    """400: `errors` holds the messages by field when the body could be parsed."""

    errors = serializers.JSONField(
        required=False,
        help_text='Messages by field, e.g. {"email": ["Enter a valid email address."]}; nested for lists.',
    )


class ConflictErrorSerializer(ErrorSerializer):
    """409: somebody else wrote first (`current_version` says where the stream is), or the id is taken."""

    current_version = serializers.IntegerField(required=False, allow_null=True)


class ServerErrorSerializer(ErrorSerializer):
    """500: nothing was written; `error_id` finds the traceback in the logs."""

    error_id = serializers.CharField()

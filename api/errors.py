"""Every error answer of the API: one exception handler (the right status, always a `detail`), and its bodies.

`exception_handler` is `REST_FRAMEWORK["EXCEPTION_HANDLER"]`, so the command endpoints, the
read models' viewsets and the event log all answer errors the same way. The serializers at
the end document those bodies in the schema (`api.openapi`); they never parse anything.
"""

import logging
import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
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
    ValueTaken,
)
from commands_app.framework.middleware import ConflictPersisted
from commands_app.idempotency import IdempotencyKeyInUse, IdempotencyKeyReused
from eventstore.store import ConcurrencyError

logger = logging.getLogger("commands")

STATUS_BY_ERROR: list[tuple[type[Exception], int]] = [
    (CommandInvalid, status.HTTP_400_BAD_REQUEST),
    (AggregateNotFound, status.HTTP_404_NOT_FOUND),
    (AggregateAlreadyExists, status.HTTP_409_CONFLICT),
    (ValueTaken, status.HTTP_409_CONFLICT),
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


# An error body names at most this many messages, and counts the rest: refusing a body of
# 20,000 unknown fields must not cost an answer 25 MB long.
MAX_ERROR_MESSAGES = 20


def first_errors(errors: Any, budget: list[int]) -> Any:
    """`errors` cut down to the first `budget[0]` messages, in order, keeping its nesting (budget is spent)."""
    if isinstance(errors, dict):
        kept = {}
        for key, value in errors.items():
            if budget[0] <= 0:
                break
            kept[key] = first_errors(value, budget)
        return kept
    if isinstance(errors, list):
        kept_items = []
        for item in errors:
            if budget[0] <= 0:
                break
            kept_items.append(first_errors(item, budget))
        return kept_items
    budget[0] -= 1
    return errors


def count_errors(errors: Any) -> int:
    if isinstance(errors, dict):
        return sum(count_errors(value) for value in errors.values())
    if isinstance(errors, list):
        return sum(count_errors(item) for item in errors)
    return 1


def invalid_input_body(errors: Any, opening: str = "Invalid input.") -> dict[str, Any]:
    """The 400 body: `detail` and `errors` with the first `MAX_ERROR_MESSAGES` messages, `error_count` when cut."""
    total = count_errors(errors)
    kept = first_errors(errors, [MAX_ERROR_MESSAGES])
    body: dict[str, Any] = {"detail": f"{opening} " + " ".join(summarize(kept)), "errors": kept}
    if total > MAX_ERROR_MESSAGES:
        body["detail"] += f" ({total - MAX_ERROR_MESSAGES:,} more not shown.)"
        body["error_count"] = total
    return body


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, ConflictPersisted):
        return Response(
            {
                "detail": f"Busy: others kept writing to {exc.stream_id} while this command was tried "
                f"{exc.attempts} times. Nothing was written; send it again."
            },
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": "1"},
        )
    if isinstance(exc, ConcurrencyError):
        return Response(
            {"detail": f"Conflict: {exc}. Reload and try again.", "current_version": exc.actual_version},
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, CommandError):
        code = next(code for error_type, code in STATUS_BY_ERROR if isinstance(exc, error_type))
        body: dict[str, Any] = {"detail": exc.detail}
        if isinstance(exc, CommandInvalid):
            body = invalid_input_body(exc.errors, "Invalid command.")
        if isinstance(exc, CommandFailed):
            body["error_id"] = exc.error_id
        if isinstance(exc, ValueTaken):
            body["errors"] = {exc.field: [exc.detail]}
        return Response(body, status=code)
    if isinstance(exc, RequestDataTooBig):  # read past Content-Length, e.g. a body sent in chunks
        limit = settings.REQUEST_BODY_MAX_BYTES
        return Response({"detail": f"The request body is larger than {limit:,} bytes."}, status=413)
    response = drf_exception_handler(exc, context)
    if response is None:
        return unexpected_error(exc, context)
    if isinstance(exc, ValidationError):
        response.data = invalid_input_body(response.data)
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

    # A field named like Serializer.errors: this serializer only documents a body, it never validates.
    errors = serializers.JSONField(  # type: ignore[assignment]
        required=False,
        help_text='Messages by field, e.g. {"email": ["Enter a valid email address."]}; nested for lists. '
        f"At most {MAX_ERROR_MESSAGES}, the first ones.",
    )
    error_count = serializers.IntegerField(
        required=False, help_text=f"How many messages there were in all, when more than the {MAX_ERROR_MESSAGES} shown."
    )


class ConflictErrorSerializer(ErrorSerializer):
    """409: somebody else wrote first (`current_version` says where the stream is), the id is taken,
    or a unique value is (`errors` names the field)."""

    current_version = serializers.IntegerField(required=False, allow_null=True)
    # A field named like Serializer.errors: this serializer only documents a body, it never validates.
    errors = serializers.JSONField(  # type: ignore[assignment]
        required=False, help_text='A value another aggregate holds, by field: {"email": ["…"]}.'
    )


class ServerErrorSerializer(ErrorSerializer):
    """500: nothing was written; `error_id` finds the traceback in the logs."""

    error_id = serializers.CharField()

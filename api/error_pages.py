"""Django's error handlers (`handler400`, `handler403`, `handler404`, `handler500`): JSON on JSON paths.

Django answers what fails outside a DRF view (no route, a `SuspiciousOperation` raised by a
middleware, an exception in a middleware) with an HTML page, which an API client or a probe
cannot read. On `/api/`, `/healthz` and `/metrics` these answer JSON with a `detail` (and an
`error_id` on a 500); elsewhere (the admin) Django's own pages stay.
"""

import logging
import sys
import uuid

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve
from django.views import defaults

logger = logging.getLogger("api")

JSON_PATHS = ("/api/", "/healthz", "/metrics")


def is_json_path(path: str) -> bool:
    return path.startswith(JSON_PATHS)


def new_error_id() -> str:
    return uuid.uuid4().hex[:12]


def server_error_response(request: HttpRequest, exception: BaseException | None) -> JsonResponse:
    """A JSON 500 with a fresh error id, logged with the traceback; the client never sees one."""
    error_id = new_error_id()
    logger.error(
        "%s %s failed unexpectedly (error id %s)",
        request.method,
        request.path,
        error_id,
        exc_info=(type(exception), exception, exception.__traceback__) if exception else True,
    )
    return JsonResponse(
        {"detail": f"The request failed unexpectedly. Error id: {error_id}.", "error_id": error_id}, status=500
    )


def slash_hint(path: str) -> str:
    """ " Did you mean …/?" when the path answers with a trailing slash (every API path ends with one)."""
    if path.endswith("/"):
        return ""
    try:
        resolve(f"{path}/")
    except Resolver404:
        return ""
    return f" Did you mean {path}/ ? API paths end with a slash."


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_json_path(request.path_info):
        detail = "Not found: no API endpoint at this path." + slash_hint(request.path_info)
        return JsonResponse({"detail": detail}, status=404)
    return defaults.page_not_found(request, exception)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    # Django's `SuspiciousOperation`s land here; their texts can echo hostile input, so say only what to fix.
    if isinstance(exception, RequestDataTooBig):
        return too_large_response(settings.REQUEST_BODY_MAX_BYTES)
    if is_json_path(request.path_info):
        return JsonResponse({"detail": "Bad request: it cannot be read as sent."}, status=400)
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_json_path(request.path_info):
        return JsonResponse({"detail": "Forbidden: you may not do this."}, status=403)
    return defaults.permission_denied(request, exception)


def too_large_response(limit: int) -> JsonResponse:
    return JsonResponse(
        {"detail": f"The request body is larger than {limit:,} bytes, the most this service reads."}, status=413
    )


def server_error(request: HttpRequest) -> HttpResponse:
    # Django calls this inside its `except` block, so the exception is still at hand for the log.
    if is_json_path(request.path_info):
        return server_error_response(request, sys.exc_info()[1])
    return defaults.server_error(request)

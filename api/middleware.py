"""Django middleware every HTTP surface shares: request limits, JSON for failures, no shared caching.

In `settings.MIDDLEWARE` (see the order there):

- `RequestLimitsMiddleware`: a body over `REQUEST_BODY_MAX_BYTES` is a 413 and a NUL in the URL
  a 400, both before any view, parser or database sees the request;
- `APISlashMiddleware`: Django's `CommonMiddleware`, minus the trailing-slash redirect under
  `/api/` (a 301 turns a command's POST into a GET and drops its body);
- `JSONErrorMiddleware`: an exception no view handled, even one raised while rendering, is a
  JSON 500 with an `error_id` on the API, health and metrics paths;
- `NoStoreMiddleware`: API answers are one user's data; no shared cache may keep them.
"""

import logging
from collections.abc import Callable
from urllib.parse import unquote_plus

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.common import CommonMiddleware
from django.utils.cache import add_never_cache_headers, patch_vary_headers

from api.error_pages import is_json_path, server_error_response, too_large_response

logger = logging.getLogger("api")


class RequestLimitsMiddleware:
    """Refuses what no endpoint can use before any work is done: oversized bodies and NUL in the URL.

    The size is checked from `Content-Length` (a reverse proxy such as `deploy/nginx` sets it,
    and refuses larger bodies itself); Django's `DATA_UPLOAD_MAX_MEMORY_SIZE` is the same
    limit for forms. PostgreSQL cannot hold NUL in text, so an id or filter value with one
    would fail there as a 500.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.REQUEST_BODY_MAX_BYTES
        length = request.META.get("CONTENT_LENGTH") or "0"
        if not length.isdigit():
            return JsonResponse({"detail": "Content-Length must be a whole number of bytes."}, status=400)
        if int(length) > limit:
            return too_large_response(limit)
        if "\x00" in request.path_info or "\x00" in unquote_plus(request.META.get("QUERY_STRING", "")):
            return JsonResponse(
                {"detail": "The URL contains a NUL character (%00); no id or query value can hold one."}, status=400
            )
        return self.get_response(request)


class APISlashMiddleware(CommonMiddleware):
    """`CommonMiddleware` without `APPEND_SLASH` redirects under `/api/`.

    A redirect would make a client's `POST /api/commands/place-order` a GET without its body;
    instead the path is a JSON 404 whose `detail` names the path with the slash
    (`api.error_pages.not_found`).
    """

    def should_redirect_with_slash(self, request: HttpRequest) -> bool:
        if request.path_info.startswith("/api/"):
            return False
        return super().should_redirect_with_slash(request)


class JSONErrorMiddleware:
    """An unhandled exception on a JSON path becomes a JSON 500 with an `error_id`, logged with its traceback.

    DRF's exception handler covers a view's own code; this covers what runs around it, such as
    a renderer that cannot encode the answer. Other paths (the admin) keep Django's page.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_json_path(request.path_info):
            return None
        return server_error_response(request, exception)


class NoStoreMiddleware:
    """`Cache-Control: no-store, private` (and `Vary` on the credentials) on every `/api/` answer without its own.

    Every API answer depends on who asks (and most show data only that user may see); a shared
    cache between client and service must never hand one user's answer to another.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path_info.startswith("/api/") and not response.has_header("Cache-Control"):
            add_never_cache_headers(response)
            patch_vary_headers(response, ("Authorization", "Cookie"))
        return response

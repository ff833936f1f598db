"""What the probe endpoints outside `/api/` share (`/healthz`, `/metrics`): GET and HEAD only, in JSON.

They are read by orchestrators and scrapers, not browsers: no session, no form, so no CSRF
check (which answered a `POST` with Django's 403 HTML page); any other method is a 405 JSON
answer with `Allow`, like every API endpoint's.
"""

import functools
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

SAFE_METHODS = ("GET", "HEAD")


def probe_endpoint(view: Callable[[HttpRequest], HttpResponse]) -> Callable[[HttpRequest], HttpResponse]:
    """Wrap a probe view: GET and HEAD reach it, anything else is 405 JSON with `Allow: GET, HEAD`."""

    @csrf_exempt
    @functools.wraps(view)
    def wrapped(request: HttpRequest) -> HttpResponse:
        if request.method not in SAFE_METHODS:
            response = JsonResponse(
                {"detail": f'Method "{request.method}" not allowed: {request.path} answers GET and HEAD.'}, status=405
            )
            response["Allow"] = ", ".join(SAFE_METHODS)
            return response
        return view(request)

    return wrapped

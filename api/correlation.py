"""`X-Correlation-ID` on every answer: the client's when it is a sane token, else a new one.

The middleware resolves the id once per request (`request.correlation_id`), before anything
can refuse the request, and puts it on the response, whatever answered: a command, a read,
an error page, the admin. The command view stamps the same id on the events it causes, so
`/api/events/?correlation_id=` finds the whole chain a request started.
"""

import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

CORRELATION_HEADER = "X-Correlation-ID"
MAX_CORRELATION_ID_LENGTH = 100


def resolve_correlation_id(request: HttpRequest) -> str:
    """The client's id if it is 1 to 100 printable characters (trimmed), else a new UUID."""
    given = request.headers.get(CORRELATION_HEADER, "").strip()
    if given and len(given) <= MAX_CORRELATION_ID_LENGTH and given.isprintable():
        return given
    return str(uuid.uuid4())


def correlation_id(request: HttpRequest) -> str:
    """This request's id: the one the middleware resolved, or resolved now (no middleware)."""
    django_request = getattr(request, "_request", request)  # DRF's Request wraps Django's
    resolved = getattr(django_request, "correlation_id", None)
    if resolved is None:
        resolved = resolve_correlation_id(django_request)
        setattr(django_request, "correlation_id", resolved)  # noqa: B010  (HttpRequest declares no such field)
    return resolved


class CorrelationIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        value = correlation_id(request)
        response = self.get_response(request)
        if CORRELATION_HEADER not in response:
            response[CORRELATION_HEADER] = value
        return response

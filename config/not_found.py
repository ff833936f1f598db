"""404 for a URL nothing answers: JSON with a `detail` under `/api/`, Django's page elsewhere.

A path under `/api/` that no route matches (an id with a `.`, which DRF's routes exclude, or
a typo) got Django's HTML page, which an API client cannot read; schemathesis found it.
"""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.defaults import page_not_found


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found: no API endpoint at this path."}, status=404)
    return page_not_found(request, exception)

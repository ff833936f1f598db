"""`/api/schema/` and `/api/docs/`: the OpenAPI schema, and Swagger UI over it with its assets served locally."""

from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse
from django.urls import reverse
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.exceptions import NotAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response


class SchemaView(SpectacularAPIView):
    """The schema (YAML, or JSON with `?format=json`); its errors are JSON like every API error.

    The schema's renderers would write a 401's `{"detail": …}` as YAML, which no client
    expects an error body to be.
    """

    def finalize_response(self, request: Request, response: Response, *args, **kwargs) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        if response.status_code >= 400:
            response.accepted_renderer = JSONRenderer()
            response.accepted_media_type = JSONRenderer.media_type
            response["Content-Type"] = JSONRenderer.media_type
        return response


class APIDocsView(SpectacularSwaggerSplitView):
    """Swagger UI; a browser that is not logged in is sent to the login page and back.

    The split view serves its start-up script from this URL (`?script`) instead of inline,
    so the page runs under the site's Content-Security-Policy (`script-src 'self'`).

    The docs need a login like everything under `/api/` (the schema they load does too);
    a 401 page would leave a reader with no way forward.
    """

    # A redirect is no DRF Response, but finalize_response passes any HttpResponse through.
    def handle_exception(self, exc: Exception) -> HttpResponse:  # type: ignore[override]
        if isinstance(exc, NotAuthenticated):
            return redirect_to_login(self.request.get_full_path(), reverse("rest_framework:login"))
        return super().handle_exception(exc)

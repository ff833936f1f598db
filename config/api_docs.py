"""`/api/docs/`: Swagger UI over `/api/schema/`, its assets served locally (drf-spectacular-sidecar)."""

from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse
from django.urls import reverse
from drf_spectacular.views import SpectacularSwaggerView
from rest_framework.exceptions import NotAuthenticated


class APIDocsView(SpectacularSwaggerView):
    """Swagger UI; a browser that is not logged in is sent to the login page and back.

    The docs need a login like everything under `/api/` (the schema they load does too);
    a 401 page would leave a reader with no way forward.
    """

    def handle_exception(self, exc: Exception) -> HttpResponse:
        if isinstance(exc, NotAuthenticated):
            return redirect_to_login(self.request.get_full_path(), reverse("rest_framework:login"))
        return super().handle_exception(exc)

"""Root URLs: the admin, the API (commands, queries, token auth, schema and docs), health and metrics."""

from django.contrib import admin
from django.urls import include, path

from config.api_docs import APIDocsView, SchemaView
from config.health import healthz
from config.metrics import metrics
from config.token_auth import ThrottledObtainAuthToken

# The admin's "View site" link: the API's interactive docs (there is no page at /).
admin.site.site_url = "/api/docs/"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/auth/token/", ThrottledObtainAuthToken.as_view(), name="api-token"),
    # Session login for the browsable API and /api/docs/ (DRF's login view: any user, not only staff).
    path("api/auth/", include("rest_framework.urls")),
    path("api/schema/", SchemaView.as_view(), name="schema"),
    path("api/docs/", APIDocsView.as_view(url_name="schema"), name="api-docs"),
    path("api/commands/", include("commands_app.urls")),
    path("api/streams/", include("commands_app.stream_urls")),
    path("api/", include("queries_app.urls")),
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics, name="metrics"),
]

# JSON on the API, health and metrics paths; Django's pages elsewhere (api.error_pages).
handler400 = "api.error_pages.bad_request"
handler403 = "api.error_pages.permission_denied"
handler404 = "api.error_pages.not_found"
handler500 = "api.error_pages.server_error"

"""Root URLs: the admin, the command endpoints, the query endpoints and token auth."""

from django.contrib import admin
from django.urls import include, path
from rest_framework.authtoken.views import obtain_auth_token

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/auth/token/", obtain_auth_token, name="api-token"),
    path("api/commands/", include("commands_app.urls")),
    path("api/streams/", include("commands_app.stream_urls")),
    path("api/", include("queries_app.urls")),
]

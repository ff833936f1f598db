"""The service's URLs plus the plain-CRUD baselines under `/bench-crud/`."""

from django.urls import include, path

from config.urls import urlpatterns as service_urlpatterns

urlpatterns = [
    *service_urlpatterns,
    path("bench-crud/", include("bench.baselines.crud.urls")),
]

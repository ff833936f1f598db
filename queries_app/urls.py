from django.urls import path
from rest_framework.routers import DefaultRouter

from queries_app.events_api import EventViewSet
from queries_app.views import CustomerViewSet, OrderSummaryViewSet, ProductStockViewSet, ProjectionStatusView

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("customers", CustomerViewSet, basename="customer")
router.register("orders", OrderSummaryViewSet, basename="order")
router.register("products", ProductStockViewSet, basename="product")
router.register("events", EventViewSet, basename="event")

urlpatterns = [path("projections/", ProjectionStatusView.as_view(), name="projection-status"), *router.urls]

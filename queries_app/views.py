"""Read-only viewsets over the read models."""

from rest_framework import viewsets

from queries_app.filters import CustomerViewFilter, OrderSummaryFilter
from queries_app.models import CustomerView, OrderSummary
from queries_app.serializers import CustomerViewSerializer, OrderSummarySerializer


class CustomerViewSet(viewsets.ReadOnlyModelViewSet):
    """Customers with their order count and total spent."""

    queryset = CustomerView.objects.all()
    serializer_class = CustomerViewSerializer
    filterset_class = CustomerViewFilter
    ordering_fields = ["name", "order_count", "total_spent"]
    ordering = ["name", "id"]


class OrderSummaryViewSet(viewsets.ReadOnlyModelViewSet):
    """Orders, denormalized: customer name, item count, total, lines."""

    queryset = OrderSummary.objects.prefetch_related("lines")
    serializer_class = OrderSummarySerializer
    filterset_class = OrderSummaryFilter
    ordering_fields = ["placed_at", "total", "updated_at"]
    ordering = ["-placed_at", "id"]

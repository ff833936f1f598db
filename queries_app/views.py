"""Read-only viewsets over the read models."""

import dataclasses

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from eventstore.operations import subscriber_statuses
from queries_app.filters import CustomerViewFilter, OrderSummaryFilter
from queries_app.models import CustomerView, OrderSummary
from queries_app.read_your_writes import MIN_POSITION_PARAMETER, ReadYourWritesMixin
from queries_app.serializers import CustomerViewSerializer, OrderSummarySerializer, ProjectionStatusSerializer

read_your_writes_schema = extend_schema_view(
    list=extend_schema(parameters=[MIN_POSITION_PARAMETER]),
    retrieve=extend_schema(parameters=[MIN_POSITION_PARAMETER]),
)


@read_your_writes_schema
class CustomerViewSet(ReadYourWritesMixin, viewsets.ReadOnlyModelViewSet):
    """Customers with their order count and total spent."""

    projections = ("customer_view",)
    queryset = CustomerView.objects.all()
    serializer_class = CustomerViewSerializer
    filterset_class = CustomerViewFilter
    ordering_fields = ["name", "order_count", "total_spent"]
    ordering = ["name", "id"]


@read_your_writes_schema
class OrderSummaryViewSet(ReadYourWritesMixin, viewsets.ReadOnlyModelViewSet):
    """Orders, denormalized: customer name, item count, total, lines."""

    projections = ("order_summary",)
    queryset = OrderSummary.objects.prefetch_related("lines")
    serializer_class = OrderSummarySerializer
    filterset_class = OrderSummaryFilter
    ordering_fields = ["placed_at", "total", "updated_at"]
    ordering = ["-placed_at", "id"]


class ProjectionStatusView(APIView):
    """Every projection's checkpoint, lag and state."""

    @extend_schema(operation_id="projections_list", responses=ProjectionStatusSerializer(many=True))
    def get(self, request: Request) -> Response:
        statuses = [dataclasses.asdict(status) for status in subscriber_statuses()]
        return Response(ProjectionStatusSerializer(statuses, many=True).data)

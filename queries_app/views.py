"""Read-only viewsets over the read models."""

import dataclasses
import uuid

from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from eventstore.operations import subscriber_statuses
from queries_app.export import CanExportSubjects, subject_events
from queries_app.filters import CustomerViewFilter, OrderSummaryFilter, ProductStockFilter
from queries_app.models import CustomerView, OrderSummary, ProductStock
from queries_app.read_your_writes import MIN_POSITION_PARAMETER, SETTLED_PARAMETER, ReadYourWritesMixin
from queries_app.serializers import (
    CustomerViewSerializer,
    OrderSummarySerializer,
    ProductStockSerializer,
    ProjectionStatusSerializer,
)

# The saga's checkpoint name (commands_app.domain.fulfilment.OrderFulfilment.name): what
# `?settled=true` waits for before it waits for the projections.
ORDER_SAGA = ("order_fulfilment",)

read_your_writes_schema = extend_schema_view(
    list=extend_schema(parameters=[MIN_POSITION_PARAMETER, SETTLED_PARAMETER]),
    retrieve=extend_schema(parameters=[MIN_POSITION_PARAMETER, SETTLED_PARAMETER]),
)


@read_your_writes_schema
class CustomerViewSet(ReadYourWritesMixin, viewsets.ReadOnlyModelViewSet):
    """Customers with their order count and total spent."""

    projections = ("customer_view",)
    processes = ORDER_SAGA
    queryset = CustomerView.objects.all()
    serializer_class = CustomerViewSerializer
    filterset_class = CustomerViewFilter
    ordering_fields = ["name", "order_count", "total_spent"]
    ordering = ["name", "id"]

    @extend_schema(
        summary="Everything stored about one customer (GDPR art. 15)",
        description="Every event of the customer and of their orders, personal fields opened (or marked "
        "forgotten), with the read-model rows about them. Needs `commands_app.forget_subjects`.",
        responses={200: dict},
    )
    @action(detail=True, methods=["get"], permission_classes=[CanExportSubjects], filter_backends=[])
    def export(self, request: Request, pk: str | None = None) -> Response:
        try:
            customer_id = str(uuid.UUID(str(self.kwargs["pk"])))
        except ValueError:
            raise NotFound(f"No customer with id {self.kwargs['pk']}.") from None
        events = subject_events(customer_id)
        if not any(e["stream_id"] == customer_id and e["stream_type"] == "Customer" for e in events):
            raise NotFound(f"No customer with id {customer_id}.")
        customer = CustomerView.objects.filter(pk=customer_id).first()
        orders = OrderSummary.objects.filter(customer_id=customer_id).prefetch_related("lines")
        return Response(
            {
                "customer_id": customer_id,
                "exported_at": timezone.now(),
                "events": events,
                "read_models": {
                    "customer": None if customer is None else CustomerViewSerializer(customer).data,
                    "orders": OrderSummarySerializer(orders, many=True).data,
                },
            }
        )


@read_your_writes_schema
class OrderSummaryViewSet(ReadYourWritesMixin, viewsets.ReadOnlyModelViewSet):
    """Orders, denormalized: customer name, item count, total, lines."""

    projections = ("order_summary",)
    processes = ORDER_SAGA
    queryset = OrderSummary.objects.prefetch_related("lines")
    serializer_class = OrderSummarySerializer
    filterset_class = OrderSummaryFilter
    ordering_fields = ["placed_at", "total", "updated_at"]
    ordering = ["-placed_at", "id"]


@read_your_writes_schema
class ProductStockViewSet(ReadYourWritesMixin, viewsets.ReadOnlyModelViewSet):
    """Products with their stock: on hand, reserved for orders, available to sell."""

    projections = ("product_stock",)
    processes = ORDER_SAGA
    queryset = ProductStock.objects.all()
    serializer_class = ProductStockSerializer
    filterset_class = ProductStockFilter
    lookup_field = "sku"
    lookup_value_regex = "[^/]+"
    ordering_fields = ["sku", "name", "price", "on_hand", "available"]
    ordering = ["sku"]


class ProjectionStatusView(APIView):
    """Every projection's checkpoint, lag and state."""

    @extend_schema(operation_id="projections_list", responses=ProjectionStatusSerializer(many=True))
    def get(self, request: Request) -> Response:
        statuses = [dataclasses.asdict(status) for status in subscriber_statuses()]
        return Response(ProjectionStatusSerializer(statuses, many=True).data)

"""Plain DRF, as the tutorial writes it: a ModelSerializer and a ModelViewSet per table."""

from rest_framework import serializers, viewsets

from bench.baselines.crud.models import CrudEvent
from queries_app.models import OrderSummary
from queries_app.serializers import OrderLineSerializer


class CrudEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = CrudEvent
        fields = "__all__"


class CrudEventViewSet(viewsets.ModelViewSet):
    """Row 5's baseline: `create` validates (including the unique pair) and inserts."""

    queryset = CrudEvent.objects.all()  # type: ignore[attr-defined]  # an app of bench.settings only
    serializer_class = CrudEventSerializer


class PlainOrderSerializer(serializers.ModelSerializer):
    lines = OrderLineSerializer(many=True, read_only=True)  # the service's own: the same line content

    class Meta:
        model = OrderSummary
        fields = "__all__"


class PlainOrderViewSet(viewsets.ModelViewSet):
    """Row 8's baseline: the same table and the same response content, no read-model layer."""

    queryset = OrderSummary.objects.prefetch_related("lines")
    serializer_class = PlainOrderSerializer
    filterset_fields = ["status"]
    ordering_fields = ["placed_at", "total"]

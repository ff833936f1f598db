"""Read-model serializers: what `/api/customers/` and `/api/orders/` return."""

from rest_framework import serializers

from queries_app.models import CustomerView, OrderSummary, OrderSummaryLine, ProductStock


class CustomerViewSerializer(serializers.ModelSerializer):
    class Meta:
        model = CustomerView
        fields = ["id", "name", "email", "order_count", "total_spent", "forgotten"]


class OrderLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrderSummaryLine
        fields = ["sku", "quantity", "unit_price"]


class OrderSummarySerializer(serializers.ModelSerializer):
    lines = OrderLineSerializer(many=True, read_only=True)

    class Meta:
        model = OrderSummary
        fields = [
            "id",
            "customer_id",
            "customer_name",
            "item_count",
            "total",
            "status",
            "cancel_reason",
            "lines",
            "placed_at",
            "updated_at",
            "version",
        ]


class ProductStockSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProductStock
        fields = [
            "sku",
            "name",
            "price",
            "on_hand",
            "reserved",
            "available",
            "discontinued",
            "written_off",
            "updated_at",
            "version",
        ]


class RebuildProgressSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=["running", "interrupted"], help_text="interrupted: rerun to resume.")
    position = serializers.IntegerField(help_text="The new generation's checkpoint.")
    head = serializers.IntegerField(help_text="The log's head when the rebuild last moved.")
    events = serializers.IntegerField(help_text="Events handled so far.")
    events_per_second = serializers.FloatField()
    eta_seconds = serializers.FloatField(allow_null=True, help_text="Seconds left at the current speed.")
    started_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    last_error = serializers.CharField(allow_blank=True)


class ProjectionStatusSerializer(serializers.Serializer):
    name = serializers.CharField()
    position = serializers.IntegerField(help_text="The projection's checkpoint.")
    head = serializers.IntegerField(help_text="The position of the last event in the log.")
    lag = serializers.IntegerField(help_text="Events in the log after the checkpoint (head − position).")
    lag_seconds = serializers.FloatField(help_text="Age of the oldest event not yet handled.")
    state = serializers.ChoiceField(choices=["running", "catching_up", "failed", "rebuilding"])
    last_error = serializers.CharField(allow_blank=True)
    rebuild = RebuildProgressSerializer(allow_null=True, help_text="A blue/green rebuild under way, else null.")

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
        fields = ["sku", "name", "price", "on_hand", "reserved", "available", "updated_at", "version"]


class ProjectionStatusSerializer(serializers.Serializer):
    name = serializers.CharField()
    position = serializers.IntegerField(help_text="The projection's checkpoint.")
    head = serializers.IntegerField(help_text="The position of the last event in the log.")
    lag = serializers.IntegerField(help_text="Events in the log after the checkpoint.")
    lag_seconds = serializers.FloatField(help_text="Age of the oldest event not yet handled.")
    state = serializers.ChoiceField(choices=["running", "catching_up", "failed", "rebuilding"])
    last_error = serializers.CharField(allow_blank=True)

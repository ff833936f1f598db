"""Read-model serializers: what `/api/customers/` and `/api/orders/` return."""

from rest_framework import serializers

from queries_app.models import CustomerView, OrderSummary, OrderSummaryLine


class CustomerViewSerializer(serializers.ModelSerializer):
    class Meta:
        model = CustomerView
        fields = ["id", "name", "email", "order_count", "total_spent"]


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

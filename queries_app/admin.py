"""Read models in the admin, read-only: they are rebuilt from events, never edited."""

from django.contrib import admin

from eventstore.admin import ReadOnlyAdmin
from queries_app.models import CustomerView, OrderSummary, ProductStock


@admin.register(CustomerView)
class CustomerViewAdmin(ReadOnlyAdmin):
    list_display = ["name", "email", "order_count", "total_spent", "updated_at"]
    search_fields = ["name", "email"]


@admin.register(OrderSummary)
class OrderSummaryAdmin(ReadOnlyAdmin):
    list_display = ["id", "customer_name", "status", "item_count", "total", "placed_at"]
    list_filter = ["status"]
    search_fields = ["customer_name"]


@admin.register(ProductStock)
class ProductStockAdmin(ReadOnlyAdmin):
    list_display = ["sku", "name", "price", "on_hand", "reserved", "available", "discontinued", "updated_at"]
    list_filter = ["discontinued"]
    search_fields = ["sku", "name"]

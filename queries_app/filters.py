"""Query-parameter filters for the read models (django-filter); bad values give 400."""

import django_filters

from queries_app.models import CustomerView, OrderSummary, ProductStock


class OrderSummaryFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=OrderSummary.Status.choices)
    customer_id = django_filters.UUIDFilter()
    placed_after = django_filters.IsoDateTimeFilter(field_name="placed_at", lookup_expr="gte")
    placed_before = django_filters.IsoDateTimeFilter(field_name="placed_at", lookup_expr="lt")

    class Meta:
        model = OrderSummary
        fields = ["status", "customer_id", "placed_after", "placed_before"]


class CustomerViewFilter(django_filters.FilterSet):
    email = django_filters.CharFilter(lookup_expr="iexact")

    class Meta:
        model = CustomerView
        fields = ["email"]


class ProductStockFilter(django_filters.FilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains")
    available_min = django_filters.NumberFilter(field_name="available", lookup_expr="gte")

    class Meta:
        model = ProductStock
        fields = ["name", "available_min"]

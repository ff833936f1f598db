"""Query-parameter filters for the read models (django-filter); bad values give 400."""

import django_filters
from django.db.models import QuerySet
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request

from queries_app.models import CustomerView, OrderSummary


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


class StrictOrderingFilter(OrderingFilter):
    """DRF's `?ordering=`, but an unknown field is a 400 naming it, not silently the default order."""

    def get_ordering(self, request: Request, queryset: QuerySet, view) -> list[str] | None:
        given = request.query_params.get(self.ordering_param)
        if given:
            valid = {name for name, _ in self.get_valid_fields(queryset, view, {"request": request})}
            for term in given.split(","):
                if (term[1:] if term.startswith("-") else term.strip()) not in valid:
                    choices = ", ".join(sorted(valid))
                    raise ValidationError({self.ordering_param: [f"Cannot order by {term[:40]!r}; use {choices}."]})
        return super().get_ordering(request, queryset, view)

"""Query-parameter filters for the read models (django-filter); bad values give 400."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django_filters.fields import IsoDateTimeField
from drf_spectacular.utils import extend_schema_field
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request

from api.parsing import as_utc, is_whole_number
from queries_app.models import CustomerView, OrderSummary, ProductStock


class UtcIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 date-time, converted to UTC.

    PostgreSQL refuses UTC offsets past ±15:59 that Python accepts: `?placed_before=…+16:57`
    reached the database as is and failed there (a 500 schemathesis found).
    """

    def clean(self, value: str | None) -> datetime | None:
        cleaned = super().clean(value)
        if cleaned is None:
            return None
        try:
            return as_utc(cleaned)
        except OverflowError:
            raise forms.ValidationError("Out of range once converted to UTC.", code="invalid") from None


class UtcIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


class OrderSummaryFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=OrderSummary.Status.choices)
    customer_id = django_filters.UUIDFilter()
    placed_after = UtcIsoDateTimeFilter(field_name="placed_at", lookup_expr="gte")
    placed_before = UtcIsoDateTimeFilter(field_name="placed_at", lookup_expr="lt")

    class Meta:
        model = OrderSummary
        fields = ["status", "customer_id", "placed_after", "placed_before"]


class CustomerViewFilter(django_filters.FilterSet):
    email = django_filters.CharFilter(lookup_expr="iexact")

    class Meta:
        model = CustomerView
        fields = ["email"]


class WholeNumberField(forms.IntegerField):
    def to_python(self, value: Any) -> int | None:
        if value not in self.empty_values and not is_whole_number(value):
            raise forms.ValidationError("Expected a whole number, such as 42.", code="invalid")
        return super().to_python(value)


class WholeNumberFilter(django_filters.NumberFilter):
    """A whole number (django-filter's `NumberFilter` would take 1.5, Django's `IntegerField` 1.0)."""

    field_class = WholeNumberField


@extend_schema_field({"type": "string", "enum": ["true", "false"]})
class TrueFalseFilter(django_filters.TypedChoiceFilter):
    """`?x=true` / `?x=false`, anything else a 400 naming the choices.

    Not django-filter's BooleanFilter, which ignores a value it cannot read (`?discontinued=maybe`)
    instead of refusing it (schemathesis found it). The schema says string, as the query is.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("choices", [("true", "true"), ("false", "false")])
        kwargs.setdefault("coerce", lambda value: value == "true")
        super().__init__(*args, **kwargs)


class ProductStockFilter(django_filters.FilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains")
    available_min = WholeNumberFilter(field_name="available", lookup_expr="gte")
    discontinued = TrueFalseFilter(help_text="`true`: only products off sale; `false`: only those on sale.")

    class Meta:
        model = ProductStock
        fields = ["name", "available_min", "discontinued"]


class StrictOrderingFilter(OrderingFilter):
    """DRF's `?ordering=`, but an unknown field is a 400 naming it, not silently the default order.

    So is a repeated `ordering` (`?ordering=-total&ordering=placed_at`), which DRF would
    silently read as its last value: several keys are one comma-separated `ordering`.
    """

    def get_ordering(self, request: Request, queryset: QuerySet, view) -> Sequence[str] | None:
        if len(request.query_params.getlist(self.ordering_param)) > 1:
            raise ValidationError(
                {self.ordering_param: ["Give `ordering` once; for several keys, separate them with commas."]}
            )
        given = request.query_params.get(self.ordering_param)
        if given:
            valid = {name for name, _ in self.get_valid_fields(queryset, view, {"request": request})}
            for term in given.split(","):
                if (term[1:] if term.startswith("-") else term.strip()) not in valid:
                    choices = ", ".join(sorted(valid))
                    raise ValidationError({self.ordering_param: [f"Cannot order by {term[:40]!r}; use {choices}."]})
        return super().get_ordering(request, queryset, view)

"""Project-wide OpenAPI generation: the error responses every endpoint shares, ordering values.

`ProjectAutoSchema` is `REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]`. drf-spectacular documents
only the success response of a view it inspects; the statuses our stack adds on its own
(401/403 from authentication, 404 on a detail URL, 400 from a bad filter value, 429
from throttling) are added
here once, so no view has to repeat them. Explicit `extend_schema(responses=…)` wins.
"""

from typing import Any

from drf_spectacular.extensions import OpenApiFilterExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import build_array_type, build_basic_type, build_parameter_type
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.permissions import AllowAny
from rest_framework.serializers import ModelSerializer

from api.correlation import CORRELATION_HEADER, MAX_CORRELATION_ID_LENGTH
from api.errors import ErrorSerializer, InvalidInputErrorSerializer
from api.serializers import MoneyField, StrictSerializer

# The shared statuses and what each means for any endpoint; a view group may say it more
# precisely (`commands_app.api.schema` does for the commands) and reuse the rest from here.
GENERIC_ERRORS = {
    "400": (InvalidInputErrorSerializer, "Invalid input: a body, a query parameter or an id that cannot be used."),
    "401": (ErrorSerializer, "No valid credentials: send a token or a session cookie."),
    "403": (ErrorSerializer, "Logged in, but not allowed to do this."),
    "404": (ErrorSerializer, "Nothing is stored under this id."),
    "413": (ErrorSerializer, "The body is larger than the service reads (`REQUEST_BODY_MAX_BYTES`, 64 KiB)."),
    "415": (ErrorSerializer, "The body is in a media type this endpoint does not read."),
    "429": (ErrorSerializer, "Too many requests from this user: wait the seconds `Retry-After` says."),
    "503": (ErrorSerializer, "`min_position` not reached in time: the detail names the projection; see `Retry-After`."),
}

# Response headers (OpenAPI header objects). Every answer carries the correlation id (the
# middleware, `api.correlation`); every 429 and 503 says when to try again.
CORRELATION_ID_RESPONSE_HEADER = {
    "description": "This request's id: the client's own `X-Correlation-ID` if it sent a usable one, "
    "else a new UUID. Commands stamp it on their events (`/api/events/?correlation_id=`).",
    "required": True,
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_CORRELATION_ID_LENGTH},
}
RETRY_AFTER_RESPONSE_HEADER = {
    "description": "Seconds to wait before sending the request again.",
    "required": True,
    "schema": {"type": "integer", "minimum": 0},
}
RETRY_AFTER_STATUSES = {"429", "503"}


class ProjectAutoSchema(AutoSchema):
    """drf-spectacular's `AutoSchema`, plus the error responses shared by every endpoint."""

    def get_operation(self, *args: Any, **kwargs: Any) -> dict | None:
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        self.allow_empty_query_values(operation)
        responses = operation["responses"]
        for code in self.generic_error_codes(operation):
            if code not in responses:
                serializer, description = GENERIC_ERRORS[code]
                responses[code] = {
                    "description": description,
                    "content": {"application/json": {"schema": self.resolve_serializer(serializer, "response").ref}},
                }
        self.declare_response_headers(responses)
        return operation

    def declare_response_headers(self, responses: dict) -> None:
        """Name the headers each answer carries: the correlation id on all, `Retry-After` on 429/503,
        and on a success the view's own `success_response_headers` (a class attribute:
        header name -> OpenAPI header object), e.g. the read models' projection position.
        """
        own = getattr(self.view, "success_response_headers", {})
        for code, response in responses.items():
            if "$ref" in response:
                continue
            headers = response.setdefault("headers", {})
            headers.setdefault(CORRELATION_HEADER, CORRELATION_ID_RESPONSE_HEADER)
            if code in RETRY_AFTER_STATUSES:
                headers.setdefault("Retry-After", RETRY_AFTER_RESPONSE_HEADER)
            if str(code).startswith("2"):
                for name, header in own.items():
                    headers.setdefault(name, header)

    def _map_basic_serializer(self, serializer: Any, direction: str) -> dict:
        schema = super()._map_basic_serializer(serializer, direction)
        describe = getattr(serializer, "schema_description", None)
        if callable(describe):
            # A base class's docstring would describe every subclass alike (the command bodies').
            schema["description"] = describe()
        if direction == "request" and isinstance(serializer, StrictSerializer):
            schema["additionalProperties"] = False  # an unknown field is a 400, so say so
        if direction == "response" and isinstance(serializer, ModelSerializer) and schema.get("properties"):
            # A read model's serializer renders every field it has (null when there is no value),
            # so each is present in every answer: required, for a generated client's typed model.
            # (Error bodies are not ModelSerializers: some of their fields are left out.)
            schema["required"] = list(schema["properties"])
        return schema

    def _map_serializer_field(self, field: Any, direction: str, bypass_extensions: bool = False) -> dict:
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if isinstance(field, MoneyField) and field.pattern is not None:
            # drf-spectacular's decimal pattern admits "-", "" and negatives; state the real one.
            schema["pattern"] = field.pattern
            schema["example"] = field.example
        return schema

    def allow_empty_query_values(self, operation: dict) -> None:
        """An empty optional query parameter (`?status=`, as an HTML form sends it) counts as not given; say so.

        OpenAPI forbids empty query values unless a parameter allows them. django-filter,
        DRF's ordering and serializers, and our pagination all read an empty value as absent.
        """
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "query" and not parameter.get("required"):
                parameter["allowEmptyValue"] = True

    def generic_error_codes(self, operation: dict) -> list[str]:
        """Override to change which shared errors an operation documents."""
        codes = []
        has_query = any(p["in"] == "query" for p in operation.get("parameters", []))
        has_path = "{" in self.path
        if "requestBody" in operation or has_query or has_path:
            codes.append("400")  # a body, a filter value or an id that cannot be parsed
        permissions = [type(p) for p in self.view.get_permissions()]
        if permissions and AllowAny not in permissions:
            codes += ["401", "403"]
        if has_path:
            codes.append("404")
        if "requestBody" in operation:
            codes += ["413", "415"]
        if self.view.get_throttles():
            codes.append("429")
        if any(p["name"] == "min_position" for p in operation.get("parameters", [])):
            codes.append("503")  # read-your-writes gave up waiting
        return codes


class OrderingFilterExtension(OpenApiFilterExtension):
    """Documents DRF's `?ordering=` with the view's own fields, instead of a free-form string.

    DRF accepts a comma-separated list (`?ordering=-total,placed_at`), which OpenAPI spells
    as an array in `form` style without `explode`.
    """

    target_class = "rest_framework.filters.OrderingFilter"
    match_subclasses = True  # queries_app's StrictOrderingFilter too

    def get_schema_operation_parameters(self, auto_schema: AutoSchema, *args: Any, **kwargs: Any) -> list[dict]:
        view = auto_schema.view
        fields = list(getattr(view, "ordering_fields", None) or [])
        if not fields or fields == "__all__":
            return []
        default = getattr(view, "ordering", None)
        default = [default] if isinstance(default, str) else list(default or [])
        values = [value for name in fields for value in (name, f"-{name}")]
        items = {**(build_basic_type(OpenApiTypes.STR) or {}), "enum": values}
        return [
            build_parameter_type(
                name=self.target.ordering_param,
                schema=build_array_type(items),
                location=OpenApiParameter.QUERY,
                description=(
                    f"Sort by these fields, comma-separated; `-` sorts descending. "
                    f"Default: {', '.join(default) or 'unspecified'}."
                ),
                explode=False,
                style="form",
            )
        ]

"""`/api/commands/<command-name>/`, one route per command serializer, each documented in the schema."""

from django.urls import path

from commands_app.api.schema import documented_command_view
from commands_app.api.serializers import COMMAND_SERIALIZERS

urlpatterns = [
    path(
        f"{serializer.command_class.command_type()}/",
        documented_command_view(serializer).as_view(),
        name=serializer.command_class.command_type(),
    )
    for serializer in COMMAND_SERIALIZERS
]

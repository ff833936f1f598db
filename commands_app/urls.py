"""`/api/commands/<command-name>/`, one route per command serializer."""

from django.urls import path

from commands_app.api.serializers import COMMAND_SERIALIZERS
from commands_app.api.views import CommandView

urlpatterns = [
    path(
        f"{serializer.command_class.command_type()}/",
        CommandView.as_view(serializer_class=serializer),
        name=serializer.command_class.command_type(),
    )
    for serializer in COMMAND_SERIALIZERS
]

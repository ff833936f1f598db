"""Users and look-ups shared by the personal-data suites."""

from django.contrib.auth.models import Permission
from rest_framework.test import APIClient

from tests.conftest import token_client
from tests.factories import CommandSenderFactory

FORGET_SUBJECTS = "commands_app.forget_subjects"


def forgetter_api() -> APIClient:
    """A client of a command sender who also holds `commands_app.forget_subjects`."""
    user = CommandSenderFactory.create()
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="commands_app", codename="forget_subjects")
    )
    return token_client(user)

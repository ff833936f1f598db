"""Who may send commands: logged-in users holding `commands_app.send_commands`."""

from django.contrib.auth.models import Group, Permission
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

SEND_COMMANDS = "commands_app.send_commands"
# Created by migration 0003 with SEND_COMMANDS in it; `grant_command_access` adds users to it.
COMMAND_SENDERS_GROUP = "command senders"


class CanSendCommands(BasePermission):
    """Grants access to users with `commands_app.send_commands`, from their groups or themselves.

    Checked after authentication, so an anonymous request stays a 401 (DRF answers 403
    only to a user it knows); a known user without the permission gets a 403 whose
    `detail` names the missing permission.
    """

    message = f"You do not have permission to send commands (missing permission `{SEND_COMMANDS}`)."

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.has_perm(SEND_COMMANDS))


def command_senders_group() -> Group:
    """The group holding `send_commands`; made again if an operator deleted it (or a test flushed it)."""
    app_label, codename = SEND_COMMANDS.split(".")
    group, _ = Group.objects.get_or_create(name=COMMAND_SENDERS_GROUP)
    group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return group

"""Who may send commands: logged-in users holding `commands_app.send_commands`."""

from typing import Any

from django.contrib.auth import get_backends
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.db.models import Q
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

SEND_COMMANDS = "commands_app.send_commands"
FORGET_SUBJECTS = "commands_app.forget_subjects"
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
        # A command serializer may name another permission (`required_permission`): forget-customer does.
        required = getattr(getattr(view, "serializer_class", None), "required_permission", SEND_COMMANDS)
        if required != SEND_COMMANDS:
            self.message = f"You do not have permission to send this command (missing permission `{required}`)."
        user = request.user
        return bool(user and user.is_authenticated and holds_permission(user, required))


def holds_permission(user: Any, perm: str) -> bool:
    """`user.has_perm(perm)`, in one query when Django's ModelBackend is what answers it.

    `user` is any model Django's auth accepts (AbstractBaseUser with PermissionsMixin).

    ModelBackend loads all of a user's own permissions, then all of their groups'
    permissions: two queries on every command request. One EXISTS over both answers the
    same question. Any other backend that grants permissions is asked as usual.
    """
    if not user.is_active:
        return False
    if user.is_superuser:
        return True
    if any(getattr(type(backend), "has_perm", None) not in (None, ModelBackend.has_perm) for backend in get_backends()):
        return user.has_perm(perm)
    app_label, codename = perm.split(".")
    granted = Permission.objects.filter(Q(user=user) | Q(group__user=user))
    return granted.filter(content_type__app_label=app_label, codename=codename).exists()


def command_senders_group() -> Group:
    """The group holding `send_commands`; made again if an operator deleted it (or a test flushed it)."""
    app_label, codename = SEND_COMMANDS.split(".")
    group, _ = Group.objects.get_or_create(name=COMMAND_SENDERS_GROUP)
    group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return group

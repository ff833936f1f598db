"""`manage.py grant_command_access alice bob [--revoke]`: add users to (or remove them from) "command senders"."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from commands_app.api.permissions import COMMAND_SENDERS_GROUP, SEND_COMMANDS, command_senders_group


class Command(BaseCommand):
    help = f'Let users send commands by adding them to the "{COMMAND_SENDERS_GROUP}" group (or --revoke).'

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("usernames", nargs="+")
        parser.add_argument("--revoke", action="store_true", help="remove the users from the group instead")

    @transaction.atomic
    def handle(self, *args, usernames: list[str], revoke: bool, **options) -> None:
        users = list(get_user_model().objects.filter(username__in=usernames))
        unknown = sorted(set(usernames) - {user.get_username() for user in users})
        if unknown:
            raise CommandError(f"No such user: {', '.join(unknown)}. Nothing was changed.")
        group = command_senders_group()
        for user in users:
            (user.groups.remove if revoke else user.groups.add)(group)
            still = get_user_model().objects.get(pk=user.pk).has_perm(SEND_COMMANDS)
            verb = "removed from" if revoke else "added to"
            note = " (still allowed: superuser or granted directly)" if revoke and still else ""
            self.stdout.write(f"{user.get_username()}: {verb} {COMMAND_SENDERS_GROUP!r}{note}")

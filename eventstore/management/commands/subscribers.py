"""`manage.py subscribers status|retry|skip`: the operator's view of projections and sagas."""

import getpass
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from eventstore.operations import OperationRefused, retry, skip, subscriber_statuses
from eventstore.subscriptions import get_subscriber


class Command(BaseCommand):
    help = "Show subscriber status, retry a failed subscriber, or skip the event it stopped at."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser("status", help="position, lag and state of every subscriber")
        retry_parser = actions.add_parser("retry", help="retry the event a failed subscriber stopped at")
        retry_parser.add_argument("name")
        skip_parser = actions.add_parser("skip", help="pass the event a failed subscriber stopped at")
        skip_parser.add_argument("name")
        skip_parser.add_argument("--reason", required=True, help="why; kept with the record")
        skip_parser.add_argument("--by", default=None, help="who decides (default: the OS user)")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "status":
            self.print_status()
            return
        try:
            subscriber = get_subscriber(options["name"])
            if action == "retry":
                handled = retry(subscriber)
                self.stdout.write(self.style.SUCCESS(f"{subscriber.name}: retried; {handled} events handled"))
            else:
                record = skip(subscriber, by=options["by"] or getpass.getuser(), reason=options["reason"])
                self.stdout.write(self.style.SUCCESS(f"{subscriber.name}: skipped event #{record.position}"))
        except (LookupError, OperationRefused) as error:
            raise CommandError(str(error)) from error
        self.print_status()

    def print_status(self) -> None:
        row = "{:<20} {:<12} {:>10} {:>10} {:>8} {:>8}  {}"
        self.stdout.write(row.format("name", "state", "position", "head", "lag", "lag_s", "last_error"))
        for s in subscriber_statuses():
            lag_seconds = f"{s.lag_seconds:.1f}"
            self.stdout.write(row.format(s.name, s.state, s.position, s.head, s.lag, lag_seconds, s.last_error))

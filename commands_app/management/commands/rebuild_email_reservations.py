"""`manage.py rebuild_email_reservations`: rebuild the email reservation table from the log.

Run it after changing `EMAIL_RESERVATION_KEY` (every key changes), or once on a log written
before emails were unique. It needs no projection: the customers' events are the record.
"""

from django.core.management.base import BaseCommand

from commands_app.email_reservations import rebuild_email_reservations


class Command(BaseCommand):
    help = (
        "Replace every email reservation with what the customers' events say (each customer's latest "
        "email). Where the log holds one address for two customers, the first registered keeps it."
    )

    def handle(self, *args: object, **options: object) -> None:
        report = rebuild_email_reservations()
        self.stdout.write(f"Reserved {report.reserved} email{'s' if report.reserved != 1 else ''}.")
        for customer, holder in report.duplicates:
            self.stderr.write(f"Customer {customer} has the email of customer {holder}, who keeps it.")

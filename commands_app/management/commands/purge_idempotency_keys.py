"""`manage.py purge_idempotency_keys`: delete the idempotency keys whose time is up.

Celery beat runs the same purge every hour; this is for cron-only setups and operators.
"""

from django.core.management.base import BaseCommand, CommandParser

from commands_app.idempotency import IdempotencyStore


class Command(BaseCommand):
    help = (
        "Delete idempotency keys older than COMMAND_IDEMPOTENCY_KEY_TTL_SECONDS. A request repeated "
        "after its key is gone runs again, so keep the setting longer than clients retry."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=5000, help="rows deleted per statement")

    def handle(self, *args: object, batch_size: int, **options: object) -> None:
        deleted = IdempotencyStore().purge_expired(batch_size=batch_size)
        self.stdout.write(f"Deleted {deleted} expired idempotency key{'s' if deleted != 1 else ''}.")

"""`manage.py rotate_master_key`: wrap every data key with the current master key; events are not touched.

Run it with the new key in DATA_KEY_MASTER and the old one in DATA_KEY_MASTER_PREVIOUS (every
process must have both while it runs); afterwards drop DATA_KEY_MASTER_PREVIOUS everywhere.
"""

from django.core.management.base import BaseCommand, CommandError

from eventstore.personal.keys import KeyUnusable, TableKeyStore, key_store


class Command(BaseCommand):
    help = "Rewrap every subject's data key with DATA_KEY_MASTER (the old key in DATA_KEY_MASTER_PREVIOUS)."

    def handle(self, *args: object, **options: object) -> None:
        store = key_store()
        if not isinstance(store, TableKeyStore):
            raise CommandError(f"{type(store).__name__} keeps its keys elsewhere: rotate them there (e.g. in the KMS).")
        try:
            rewrapped = store.rewrap_all()
        except KeyUnusable as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Rewrapped {rewrapped} data key(s) with the current master key; no event was changed.")

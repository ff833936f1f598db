"""A separate read database: which tables live where, and the one alias the subscription machinery uses.

With `READ_DATABASE_URL` set, settings add a `read` database and install `ReadDatabaseRouter`.
The read models and the subscribers' own state (checkpoints, skip records) then live in
`read`; the event log, snapshots, idempotency keys, users, sessions, tokens and the admin's
log stay in `default`. Without it there is one database and no router, and every alias
below is `default`.

A subscriber's batch and its checkpoint commit in one transaction, which is possible only
within one database: that database is `subscription_db()`. Events are read from `default`
with plain reads; gap-free reading needs no lock on the reader's side (events are numbered in
commit order in `default`, see `eventstore.store`), so nothing spans both databases.
"""

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, models, router

READ_DATABASE_ALIAS = "read"

# Subscription state goes with what subscribers build, so both commit in one transaction.
SUBSCRIPTION_STATE_MODELS = frozenset(
    {("eventstore", "checkpoint"), ("eventstore", "skippedevent"), ("eventstore", "rebuild")}
)


def subscription_db() -> str:
    """The alias of the database that holds checkpoints, and so every subscriber's effects.

    Open subscriber transactions here (`transaction.atomic(using=subscription_db())`);
    the ORM routes the read models and checkpoints to it on its own.
    """
    # Imported here: settings name this module as a router, and a module Django loads from
    # settings must import without the app registry being ready.
    from eventstore.models import Checkpoint

    return router.db_for_write(Checkpoint)


class ReadDatabaseRouter:
    """Routes the read side to the `read` database and everything else to `default`.

    The read side is every app in `settings.READ_DATABASE_APPS` (the read models) plus the
    subscription state models. `migrate` follows the same split: `migrate` builds the write
    side in `default`, `migrate --database read` the read side in `read`; no table exists in both.
    """

    def database_of(self, app_label: str, model_name: str | None = None) -> str:
        """Where a model (or, without `model_name`, an app's operations that name no model) lives."""
        if app_label in settings.READ_DATABASE_APPS or (app_label, model_name) in SUBSCRIPTION_STATE_MODELS:
            return READ_DATABASE_ALIAS
        # Everything else, including eventstore migrations that name no model (the
        # immutability trigger on the event table), belongs to the write side.
        return DEFAULT_DB_ALIAS

    def db_for_read(self, model: type[models.Model], **hints: object) -> str:
        # A related object of a row read from a replica (`prefetch_related`, a foreign key)
        # comes from the same replica, so one answer never mixes two copies of the read side.
        home = self.database_of(model._meta.app_label, model._meta.model_name)
        source = getattr(getattr(hints.get("instance"), "_state", None), "db", None)
        if home == READ_DATABASE_ALIAS and source in getattr(settings, "READ_REPLICA_ALIASES", ()):
            return str(source)
        return home

    def db_for_write(self, model: type[models.Model], **hints: object) -> str:
        return self.database_of(model._meta.app_label, model._meta.model_name)

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: object) -> bool | None:
        if db in getattr(settings, "READ_REPLICA_ALIASES", ()):
            return False  # a hot standby replays the read database's schema; nothing migrates it
        if db not in (DEFAULT_DB_ALIAS, READ_DATABASE_ALIAS):
            return None  # a database this router does not know about: not its decision
        return db == self.database_of(app_label, model_name)

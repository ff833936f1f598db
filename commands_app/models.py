"""The write side's own tables (the events live in `eventstore`)."""

from django.db import models

IDEMPOTENCY_KEY_MAX_LENGTH = 255


class IdempotencyRecord(models.Model):
    """One client key and the result of the command it first came with.

    Written in the same transaction as that command's events, so a stored result always
    means the events were written, and vice versa. Rows live until `expires_at`; the
    `purge_idempotency_keys` command (and a Celery beat task) removes them afterwards.
    """

    scope = models.CharField(max_length=150, help_text="Whose key this is (the API uses the user's id).")
    key = models.CharField(max_length=IDEMPOTENCY_KEY_MAX_LENGTH)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of the command type and request body.")
    command_type = models.CharField(max_length=100)
    result = models.JSONField(null=True, help_text="The command's result, replayed to a repeated request.")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="idempotency_scope_key_unique")]

    def __str__(self) -> str:
        return f"{self.scope}/{self.key}"


class CommandAccess(models.Model):
    """Holds no rows: the anchor of the write side's permissions.

    Django attaches permissions to models, so this table-less model carries
    `commands_app.send_commands`, which every command endpoint requires (but forget-customer,
    which requires `commands_app.forget_subjects` instead). Grant it to a
    group (the "command senders" group holds it) or to a user, in the admin or with
    `manage.py grant_command_access`.
    """

    class Meta:
        managed = False  # nothing is stored; only its permission matters
        default_permissions = ()
        permissions = [
            ("send_commands", "Can send commands"),
            # Not implied by send_commands: erasing and exporting a person's data is for a few.
            ("forget_subjects", "Can forget customers and export their personal data"),
        ]
        verbose_name = "command access"

    def __str__(self) -> str:
        return "command access"


class EmailReservation(models.Model):
    """One email address claimed by one customer: the write side's uniqueness guard.

    The primary key is an HMAC (`settings.EMAIL_RESERVATION_KEY`) of the normalised address
    (`commands_app.email_reservations.normalise_email`), so this table holds no readable email:
    a dump of it leaks no addresses, and forgetting a customer needs only its row deleted.
    A row is inserted in the same transaction as the `CustomerRegistered` / `CustomerUpdated`
    event that takes the address, so two customers can never both hold one address; it is not
    a read model, and no projection rebuild touches it. `rebuild_email_reservations` rebuilds
    it from the log (after changing the key, or for customers registered before it existed).
    """

    email_key = models.CharField(primary_key=True, max_length=64, help_text="HMAC-SHA256 of the normalised email.")
    customer_id = models.UUIDField(db_index=True)
    reserved_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.email_key[:12]}… → {self.customer_id}"

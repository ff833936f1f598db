"""Idempotency keys: a repeated request replays the first result instead of running again.

A client that is unsure whether a command went through (a timeout, a dropped connection)
sends it again with the same `Idempotency-Key`. The first request claims the key and stores
its result in the same transaction as its events; a repeat finds the stored result and gets
it back, writing nothing. A key reused for a different request is refused (422).

Two requests with the same key at the same moment: the second one's claim waits on the
first one's uncommitted row (the unique index on scope + key), then replays its result.
If the first one fails, its transaction rolls back, the claim goes with it, and the second
one runs the command itself. A refused command (400/404/409/422) is not remembered: it
wrote nothing, so sending it again simply decides again.

The stored result has no `position` when the command wrote events: the log assigns
positions as the transaction commits, after the result was stored. A replay gets it back
from the log (`TransactionMiddleware` reads the position of the result's stream version),
so the repeat answers exactly what the first request answered.

`IdempotencyMiddleware` is the command bus's step that uses the `IdempotencyStore`; it
lives here, beside its table and its purge task, so `commands_app.framework` stays generic.
"""

import dataclasses
import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

from celery import shared_task
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.utils import timezone

from commands_app.framework.bus import CommandContext, CommandResult, Handler, IdempotencyKey
from commands_app.framework.commands import Command
from commands_app.framework.errors import CommandError
from commands_app.models import IDEMPOTENCY_KEY_MAX_LENGTH, IdempotencyRecord

IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = IDEMPOTENCY_KEY_MAX_LENGTH


class IdempotencyKeyReused(CommandError):
    """The key was already used for a different request: 422. A new request needs a new key."""


class IdempotencyKeyInUse(CommandError):
    """The key's first request has not finished in this same transaction: 409."""


def request_fingerprint(command_type: str, data: Any) -> str:
    """A stable hash of what was asked: the command type and the parsed body (key order ignored)."""
    if hasattr(data, "lists"):  # a form-encoded QueryDict
        data = dict(data.lists())
    canonical = json.dumps([command_type, data], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def idempotency_ttl() -> timedelta:
    return timedelta(seconds=settings.COMMAND_IDEMPOTENCY_KEY_TTL_SECONDS)


class IdempotencyStore:
    """Claims keys, stores results and finds them again, in the `IdempotencyRecord` table.

    Every method runs in the caller's transaction: the claim and the stored result must
    commit or roll back together with the command's events.
    """

    def claim(self, request: IdempotencyKey, command_type: str) -> int | None:
        """Claim the key for this request; its row id, or None when a live claim already holds it.

        One statement, so a fresh key costs one round trip: insert, or take over a row whose
        time is up (not yet purged). A concurrent claim of the same key waits here until the
        first one's transaction ends.
        """
        now = timezone.now()
        table = connection.ops.quote_name(IdempotencyRecord._meta.db_table)
        scope, key, fingerprint, command_type_column, result, created_at, expires_at = (
            connection.ops.quote_name(name)
            for name in ("scope", "key", "fingerprint", "command_type", "result", "created_at", "expires_at")
        )
        sql = (
            f"INSERT INTO {table} ({scope}, {key}, {fingerprint}, {command_type_column}, {result}, "
            f"{created_at}, {expires_at}) VALUES (%s, %s, %s, %s, NULL, %s, %s) "
            f"ON CONFLICT ({scope}, {key}) DO UPDATE SET {fingerprint} = excluded.{fingerprint}, "
            f"{command_type_column} = excluded.{command_type_column}, {result} = NULL, "
            f"{created_at} = excluded.{created_at}, {expires_at} = excluded.{expires_at} "
            f"WHERE {table}.{expires_at} <= %s RETURNING id"
        )
        adapt = connection.ops.adapt_datetimefield_value
        params = [request.scope, request.key, request.fingerprint, command_type, adapt(now)]
        params += [adapt(now + idempotency_ttl()), adapt(now)]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
        return None if row is None else row[0]

    def complete(self, record_id: int, result: CommandResult) -> None:
        """Store the result of the command that claimed the key (same transaction as its events)."""
        stored = dataclasses.asdict(result)
        stored.pop("replayed")
        IdempotencyRecord.objects.filter(pk=record_id).update(result=stored)

    def replay(self, request: IdempotencyKey) -> CommandResult:
        """The stored result for a repeated request; refuses a reused key or one still in flight."""
        found = IdempotencyRecord.objects.filter(scope=request.scope, key=request.key)
        rows = list(found.values_list("fingerprint", "result"))
        # No row: it expired and was purged since the claim saw it (SQLite; PostgreSQL's claim locks it).
        fingerprint, stored = rows[0] if rows else (request.fingerprint, None)
        if fingerprint != request.fingerprint:
            raise IdempotencyKeyReused(
                f"The {IDEMPOTENCY_HEADER} {request.key!r} was already used for a different request "
                "(another command or body). Send a new key for a new request, or repeat the first "
                "request exactly to get its result again."
            )
        if stored is None:
            raise IdempotencyKeyInUse(
                f"The request with {IDEMPOTENCY_HEADER} {request.key!r} has not finished yet; "
                "send it again once the first one has been answered."
            )
        return CommandResult(**stored, replayed=True)

    def purge_expired(self, now: datetime | None = None, batch_size: int = 5000) -> int:
        """Delete the keys whose time is up, in batches so no long lock is held; how many went."""
        now = now or timezone.now()
        deleted = 0
        while True:
            ids = list(IdempotencyRecord.objects.filter(expires_at__lte=now).values_list("pk", flat=True)[:batch_size])
            if not ids:
                return deleted
            deleted += IdempotencyRecord.objects.filter(pk__in=ids).delete()[0]


class IdempotencyMiddleware:
    """Replays the stored result when a client repeats a request under the same `Idempotency-Key`.

    Commands without a key (`context.idempotency` is None) pass straight through, at no
    cost. With a key: the first request claims it, runs, and stores its result in the same
    transaction as its events, so put it inside `TransactionMiddleware`; a repeat of the
    same request gets that result back (`replayed=True`) and writes nothing; a different
    request under the same key is refused (`IdempotencyKeyReused`, 422). See this module's
    docstring for the concurrent case.
    """

    def __init__(self, store: IdempotencyStore | None = None) -> None:
        self.store = store or IdempotencyStore()

    def __call__(self, command: Command, context: CommandContext, next_handler: Handler) -> CommandResult:
        if context.idempotency is None:
            return next_handler(command, context)
        if not transaction.get_connection().in_atomic_block:
            raise ImproperlyConfigured(
                "IdempotencyMiddleware must run inside TransactionMiddleware (list it after it in "
                "COMMAND_BUS_MIDDLEWARE): its stored result has to commit with the command's events."
            )
        claim = self.store.claim(context.idempotency, command.command_type())
        if claim is None:
            return self.store.replay(context.idempotency)
        result = next_handler(command, context)
        self.store.complete(claim, result)
        return result


@shared_task(name="commands_app.purge_expired_idempotency_keys", ignore_result=True)
def purge_expired_idempotency_keys() -> int:
    """Celery beat entry point (settings `CELERY_BEAT_SCHEDULE`): see `IdempotencyStore.purge_expired`."""
    return IdempotencyStore().purge_expired()

"""Unique customer emails: a reservation table the write side owns, claimed with the event.

Event sourcing's classic set-validation problem: "no two customers share an email" is a rule
over every customer stream, so no single stream's version can guard it, and a read model
lags behind the log (two registrations a millisecond apart would both find the address free).
The guard is `EmailReservation`, one row per address, whose primary key is the address's
HMAC. `claim_email` inserts it inside the command's transaction, so the row and the
`CustomerRegistered` / `CustomerUpdated` event commit together or not at all; the insert is
pipelined with the event's (`eventstore.companions`), so it costs no round trip of its own.
Two concurrent claims of one address meet on the primary key: PostgreSQL makes the second
insert wait for the first transaction, then skips it (`ON CONFLICT DO NOTHING`), and that
command is refused with 409 (`ValueTaken`, naming `email`). A customer who changes address
gives the old one up in the same transaction.

Addresses are compared case-insensitively (`normalise_email`: trimmed, lower-cased), and the
table stores only `HMAC-SHA256(EMAIL_RESERVATION_KEY, address)`: no readable address lives
outside the events. `release_email_reservation(customer_id)` frees what a customer holds (for
forgetting a customer); `rebuild_email_reservations` rebuilds the table from the log.
"""

import hashlib
import hmac
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone

from commands_app.framework.errors import ValueTaken
from commands_app.models import EmailReservation
from eventstore.companions import CompanionWrite, send_with_append
from eventstore.store import EventStore, RecordedEvent

CUSTOMER_EMAIL_EVENTS = ("CustomerRegistered", "CustomerUpdated")


def normalise_email(email: str) -> str:
    """The form two addresses are compared in: `Ada@Example.com ` and `ada@example.com` are one."""
    return email.strip().lower()


def email_key(email: str) -> str:
    """The reservation's key for an address: an HMAC, so the table holds no readable email."""
    key = settings.EMAIL_RESERVATION_KEY.encode()
    return hmac.new(key, normalise_email(email).encode(), hashlib.sha256).hexdigest()


def email_taken(email: str) -> ValueTaken:
    return ValueTaken(
        "email",
        f"The email {email!r} is already registered to another customer; "
        "each customer needs an email of their own (compared without regard to case).",
    )


def claim_email(customer_id: uuid.UUID | str, email: str, *, using: str = "default") -> None:
    """Reserve `email` for the customer, with the command's append; `ValueTaken` if another holds it.

    Claiming an address the customer already holds changes nothing. Must run inside the
    command's transaction (the bus's `TransactionMiddleware` opens it), so the reservation
    commits with the event or not at all. The insert is queued as a companion of the append
    (`eventstore.companions`): it rides the append's round trip, and its check runs before
    the append's version check is read, so a taken address is refused as such.
    """
    if not transaction.get_connection(using).in_atomic_block:
        raise RuntimeError("claim_email must run inside the command's transaction")
    key, customer = email_key(email), uuid.UUID(str(customer_id))
    sql, params = _insert_statement(key, customer, using)
    send_with_append(CompanionWrite(sql, params, partial(_claimed_or_taken, key, customer, email, using)), using=using)


def _claimed_or_taken(key: str, customer: uuid.UUID, email: str, using: str, rows: list[tuple[Any, ...]]) -> None:
    """The claim's check, given its insert's rows: inserted, already the customer's, or taken (`ValueTaken`)."""
    if rows:
        return  # inserted: the common case, no further query
    holder = EmailReservation.objects.using(using).filter(email_key=key).values_list("customer_id", flat=True).first()
    if holder is None and _insert_unless_held(key, customer, using):
        return  # its holder let it go in between (a change of email, a forgetting)
    if holder != customer:
        raise email_taken(email)


def _insert_statement(key: str, customer: uuid.UUID, using: str) -> tuple[str, list[Any]]:
    """The reservation's insert unless the address is held, as (sql, params); its statement
    returns a row when it inserted one.

    One statement, `INSERT … ON CONFLICT DO NOTHING RETURNING` (PostgreSQL, SQLite 3.35+): a
    concurrent claim not yet committed makes PostgreSQL wait for it, then skip the row if it
    committed. No error is raised, so no savepoint is needed.
    """
    connection = connections[using]
    table = connection.ops.quote_name(EmailReservation._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in ("email_key", "customer_id", "reserved_at"))
    fields = EmailReservation._meta
    values = [
        key,
        fields.get_field("customer_id").get_db_prep_value(customer, connection),
        fields.get_field("reserved_at").get_db_prep_value(timezone.now(), connection),
    ]
    sql = f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s) ON CONFLICT (email_key) DO NOTHING RETURNING 1"
    return sql, values


def _insert_unless_held(key: str, customer: uuid.UUID, using: str) -> bool:
    """Run the reservation's insert now (the check's slow path); True when this inserted it."""
    sql, params = _insert_statement(key, customer, using)
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone() is not None


def change_email(
    customer_id: uuid.UUID | str, old_email: str | None, new_email: str, *, using: str = "default"
) -> None:
    """Claim `new_email` for the customer and free `old_email` (same address, other case: no change)."""
    if old_email is not None and email_key(old_email) == email_key(new_email):
        return
    claim_email(customer_id, new_email, using=using)
    if old_email is None:
        return
    # Freed in the same pipeline, after the claim: two customers swapping addresses then each
    # meet the other's committed row (both refused, 409), where deleting first would make each
    # claim wait on the other's delete, a deadlock.
    connection = connections[using]
    table = connection.ops.quote_name(EmailReservation._meta.db_table)
    key_column, customer_column = (connection.ops.quote_name(c) for c in ("email_key", "customer_id"))
    customer = EmailReservation._meta.get_field("customer_id").get_db_prep_value(
        uuid.UUID(str(customer_id)), connection
    )
    release = f"DELETE FROM {table} WHERE {key_column} = %s AND {customer_column} = %s"
    send_with_append(CompanionWrite(release, [email_key(old_email), customer]), using=using)


def release_email_reservation(customer_id: uuid.UUID | str, *, using: str = "default") -> int:
    """Free every address the customer holds (forget-customer calls this); how many rows went."""
    deleted, _ = EmailReservation.objects.using(using).filter(customer_id=uuid.UUID(str(customer_id))).delete()
    return deleted


@dataclass(frozen=True)
class RebuildReport:
    reserved: int
    # Customers whose address an earlier customer already held (written before the rule): not reserved.
    duplicates: list[tuple[str, str]]


def reservations_from_events(events: Iterable[RecordedEvent]) -> tuple[dict[str, uuid.UUID], list[tuple[str, str]]]:
    """Each customer's latest address, by key; the first customer to take an address keeps it."""
    latest: dict[str, str] = {}
    for event in events:
        if event.event_type in CUSTOMER_EMAIL_EVENTS and event.data.get("email"):
            latest[event.stream_id] = event.data["email"]
    holders: dict[str, uuid.UUID] = {}
    duplicates = []
    for stream_id, email in latest.items():  # in the order customers first appear in the log
        key = email_key(email)
        if key in holders:
            duplicates.append((stream_id, str(holders[key])))
        else:
            holders[key] = uuid.UUID(stream_id)
    return holders, duplicates


def customer_email_events(store: EventStore, batch_size: int = 1000) -> Iterable[RecordedEvent]:
    after = 0
    while batch := store.read_all(after, batch_size, event_types=CUSTOMER_EMAIL_EVENTS):
        yield from batch
        after = batch[-1].position


def rebuild_email_reservations(*, store: EventStore | None = None) -> RebuildReport:
    """Replace every reservation with what the log says, in one transaction.

    On PostgreSQL the table is locked first (claims wait), so no registration commits between
    reading the log and writing the rows.
    """
    store = store or EventStore()
    with transaction.atomic(using=store.using):
        connection = connections[store.using]
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f'LOCK TABLE "{EmailReservation._meta.db_table}" IN EXCLUSIVE MODE')
        holders, duplicates = reservations_from_events(customer_email_events(store))
        EmailReservation.objects.using(store.using).all().delete()
        EmailReservation.objects.using(store.using).bulk_create(
            [EmailReservation(email_key=key, customer_id=customer) for key, customer in holders.items()],
            batch_size=1000,
        )
    return RebuildReport(reserved=len(holders), duplicates=duplicates)

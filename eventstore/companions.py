"""Companion writes: rows that commit with a stream's append, sent in the append's round trip.

A command sometimes writes a row beside its events that guards a rule no stream can (an email
reservation: "no two customers share an address"). Run on its own, that row costs the command
a round trip to the database before the append. Queued instead with `send_with_append`, it
goes out with the append: `EventStore.append` pipelines each companion statement (one cursor
each, so each keeps its own result), the new subject's data key and the event INSERT, and
reads every answer in one exchange with the server.

Each companion may carry a `check`, called with the rows its statement returned (its
`RETURNING`), which raises to refuse the command. The checks run before the append's
version check is interpreted: a companion that lost (the address is taken) is reported as
the refusal it is, not as the version conflict a concurrent creator of the same stream also
causes. (Only when that creator's row reaches the stream's unique index first does
PostgreSQL abort the transaction before any check runs: the command is then refused as a
conflict.) A check may run more queries (a slow path); the transaction is still usable.

The queue lives on Django's connection wrapper (per thread and alias, like a transaction) and
belongs to the transaction that queued it: each write registers a marker with Django's
`on_commit` hooks, which Django drops when the transaction or the savepoint the write was
queued in rolls back (and runs, then drops, at commit). A write whose marker is gone is dropped
unsent, so a write never outlives its transaction, whatever path ended it. The command bus
also discards the queue when an outermost transaction starts, and the first append of the
transaction takes it all. A command that
queues a write but appends nothing runs it with `run_left()` before it commits. On SQLite
(tests, a laptop) the companions simply run one after the other, before the event rows.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper

# Kept on Django's connection wrapper, which is per thread and per alias like a transaction.
QUEUE_ATTRIBUTE = "eventstore_companion_writes"

Rows = list[tuple[Any, ...]]


@dataclass(frozen=True)
class CompanionWrite:
    """One statement to commit with the next append: `sql` with `%s` placeholders, its `params`.

    `check(rows)` gets the rows the statement returned (empty for a statement that returns
    none) and raises to refuse the command; the whole transaction then rolls back.
    """

    sql: str
    params: Sequence[Any]
    check: Callable[[Rows], None] | None = None


class _Queued:
    """A queued write's marker among Django's on-commit hooks: there while its transaction lives."""

    def __call__(self) -> None:  # run at commit, when nothing is left to do
        pass


def send_with_append(write: CompanionWrite, *, using: str = "default") -> None:
    """Queue `write` to go out with the next append of this transaction (see the module docstring)."""
    connection = connections[using]
    if not connection.in_atomic_block:
        # Outside a transaction, nothing ties the row to the events: it would commit on its own.
        raise RuntimeError("a companion write must be queued inside the transaction that appends the events")
    marker = _Queued()
    connection.on_commit(marker)
    queue: list[tuple[CompanionWrite, _Queued]] | None = getattr(connection, QUEUE_ATTRIBUTE, None)
    if queue is None:
        queue = []
        setattr(connection, QUEUE_ATTRIBUTE, queue)
    queue.append((write, marker))


def take(using: str = "default") -> list[CompanionWrite]:
    """Every write this transaction queued, in the order queued; the queue is left empty (the
    caller runs them). Writes of a transaction or savepoint that rolled back are dropped."""
    connection = connections[using]
    queue: list[tuple[CompanionWrite, _Queued]] = getattr(connection, QUEUE_ATTRIBUTE, None) or []
    setattr(connection, QUEUE_ATTRIBUTE, None)
    if not queue:
        return []
    live = {id(entry[1]) for entry in connection.run_on_commit} if connection.in_atomic_block else set()
    return [write for write, marker in queue if id(marker) in live]


def discard(using: str = "default") -> None:
    """Forget what an earlier, failed transaction queued and never sent (called as a transaction starts)."""
    setattr(connections[using], QUEUE_ATTRIBUTE, None)


def run_checks(writes: Sequence[CompanionWrite], results: Sequence[Rows]) -> None:
    """Call each write's check with its statement's rows, in the order the writes were queued."""
    for write, rows in zip(writes, results, strict=True):
        if write.check is not None:
            write.check(rows)


def execute(connection: BaseDatabaseWrapper, writes: Sequence[CompanionWrite]) -> list[Rows]:
    """Run the writes one after the other (SQLite, or writes no append took); each one's rows."""
    results = []
    with connection.cursor() as cursor:
        for write in writes:
            cursor.execute(write.sql, write.params)
            results.append(list(cursor.fetchall()) if cursor.description is not None else [])
    return results


def run_left(using: str = "default") -> None:
    """Run, and check, what was queued but no append took (a command that appended nothing)."""
    writes = take(using)
    if writes:
        run_checks(writes, execute(connections[using], writes))

"""How many statements a catch-up sends: the read path's cost per wake-up, held in place."""

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from eventstore.routers import subscription_db
from eventstore.store import EventStore, NewEvent
from eventstore.subscriptions import catch_up, get_subscriber

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]


def append(stream: str, *payloads: dict) -> None:
    store = EventStore()
    store.append(stream, "Test", [NewEvent("TestHappened", p) for p in payloads], expected_version=None)


def statements(alias: str) -> CaptureQueriesContext:
    return CaptureQueriesContext(connections[alias])


def sent(*captured: CaptureQueriesContext) -> list[str]:
    """The statements, less BEGIN and COMMIT (BEGIN goes out with the lock, in one round trip)."""
    transaction = ("BEGIN", "COMMIT")  # SQLite's is BEGIN IMMEDIATE
    # A prepared statement's text is not always known to Django's log (None): it still counts.
    queries = [q["sql"] or "(prepared)" for c in captured for q in c.captured_queries]
    return [sql for sql in queries if not sql.startswith(transaction)]


def test_a_catch_up_of_one_new_event_locks_reads_and_moves_the_checkpoint_in_three_statements(recorder):
    subscriber = get_subscriber("test_recorder")
    append("s", {"n": 1})
    catch_up(subscriber)  # creates the checkpoint
    append("s", {"n": 2})
    alias, same_database = subscription_db(), subscription_db() == EventStore.using

    with statements(alias) as on_checkpoints, statements(EventStore.using) as on_log:
        assert catch_up(subscriber) == 1

    statements_sent = sent(on_checkpoints) if same_database else sent(on_checkpoints, on_log)
    # lock (with the head, in one database), read, save; a separate read database adds the head
    assert len(statements_sent) == (3 if same_database else 4), statements_sent
    if connections[alias].features.has_select_for_update:  # SQLite's writer lock needs none
        assert "FOR UPDATE" in statements_sent[0]
    assert [e.data["n"] for e in recorder.handled] == [1, 2]


def test_a_catch_up_with_nothing_new_sends_one_statement(recorder):
    subscriber = get_subscriber("test_recorder")
    append("s", {"n": 1})
    catch_up(subscriber)
    alias, same_database = subscription_db(), subscription_db() == EventStore.using

    with statements(alias) as on_checkpoints, statements(EventStore.using) as on_log:
        assert catch_up(subscriber) == 0

    statements_sent = sent(on_checkpoints) if same_database else sent(on_checkpoints, on_log)
    assert len(statements_sent) == (1 if same_database else 2), statements_sent

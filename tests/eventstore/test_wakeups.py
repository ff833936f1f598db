"""Wake-up calls are coalesced on Redis: one queued message serves every commit until it starts."""

import pytest
import redis

from config.celery import app as celery_app
from eventstore.models import Checkpoint
from eventstore.store import EventStore, NewEvent
from eventstore.subscriptions import catch_up, registered_subscribers
from eventstore.tasks import wake_subscribers
from eventstore.wakeups import flush_wake_ups, wake_up_started

pytestmark = [
    pytest.mark.skipif("not str(celery_app.conf.broker_url).startswith('redis')", reason="needs Redis"),
    pytest.mark.django_db(transaction=True),
    pytest.mark.integration,
]


def queued_messages(redis_key_prefix: str) -> int:
    client = redis.Redis.from_url(celery_app.conf.broker_url)
    try:
        return client.llen(f"{redis_key_prefix}celery")
    finally:
        client.close()


def append(stream: str) -> None:
    EventStore().append(stream, "Test", [NewEvent("TestHappened", {})], expected_version=None)
    assert flush_wake_ups(), "the wake-up sender did not finish"


def test_commits_share_one_pending_wake_up_until_it_starts(redis_key_prefix):
    wake_up_started()  # whatever earlier tests left pending
    before = queued_messages(redis_key_prefix)

    append("a")
    append("b")
    append("a")
    assert queued_messages(redis_key_prefix) == before + 1

    wake_up_started()  # a worker took it: the next commit needs a message of its own
    append("c")
    assert queued_messages(redis_key_prefix) == before + 2


def test_a_wake_up_catches_up_commits_that_only_found_it_pending(redis_key_prefix):
    """The wake-up carries the first commit's position; later commits rode along on the flag."""
    wake_up_started()
    append("first")
    first = EventStore().head()
    for subscriber in registered_subscribers():
        catch_up(subscriber)  # somebody already handled the first commit
    append("rode-along")  # found the flag set: sent nothing

    celery_app.conf.task_always_eager = True  # run the fanned-out catch-ups here, now
    try:
        wake_subscribers(first)
    finally:
        celery_app.conf.task_always_eager = False
    assert set(Checkpoint.objects.values_list("position", flat=True)) == {EventStore().head()}

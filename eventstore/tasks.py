"""Celery tasks: wake-up calls for the subscribers. The log is the truth, not the message."""

import logging

from celery import shared_task
from django.conf import settings

from eventstore import operations
from eventstore.store import EventStore
from eventstore.subscriptions import (
    Subscriber,
    catch_up,
    get_subscriber,
    registered_subscribers,
    subscribers_behind,
)
from eventstore.wakeups import wake_up_started

logger = logging.getLogger(__name__)


@shared_task(name="eventstore.tasks.wake_subscribers")
def wake_subscribers(position: int | None = None) -> None:
    """Sent after a commit: catch up every subscriber that is behind the head.

    `position` is accepted for messages sent by older versions and ignored: a wake-up
    stands for every commit that found it pending, so "behind" is measured against the head, read
    after the pending flag is cleared. The first subscriber behind is caught up right
    here (one hop less for it), and so is every other one within a batch of the head: a
    task of its own would cost more than its catch-up, and would queue in front of the next
    wake-up. Those further behind get a task each, sent first, so they run in parallel on
    other worker processes. The checkpoint lock keeps each one to a single runner at a time.
    """
    wake_up_started()
    # A duplicate or late wake-up finds nothing behind.
    lags = subscribers_behind([s.name for s in registered_subscribers()], EventStore())
    here: list[Subscriber] = []
    far: list[Subscriber] = []
    for index, (name, lag) in enumerate(lags.items()):
        subscriber = get_subscriber(name)
        near = lag <= (subscriber.batch_size or settings.EVENTSTORE_BATCH_SIZE)
        (here if index == 0 or near else far).append(subscriber)
    for subscriber in far:
        catch_up_subscriber.delay(subscriber.name)
    for subscriber in here:
        try:
            catch_up(subscriber)
        except Exception:  # the next wake-up or the sweep retries it; the others still run
            logger.exception("subscriber %s could not catch up; its checkpoint did not move", subscriber.name)


@shared_task(name="eventstore.tasks.catch_up_subscriber")
def catch_up_subscriber(name: str) -> int:
    return catch_up(get_subscriber(name))


@shared_task(name="eventstore.tasks.sweep_subscribers")
def sweep_subscribers() -> None:
    """Run by Celery beat, so a lost wake-up (or a broker outage) only delays projections."""
    wake_subscribers(None)


@shared_task(name="eventstore.tasks.rebuild_subscriber")
def rebuild_subscriber(name: str) -> int:
    """Replay the whole log into one subscriber (the admin's "rebuild": too long for a web request)."""
    result = operations.rebuild(get_subscriber(name))
    logger.info("rebuilt %s: %s events in %.1fs", name, result.events, result.seconds)
    return result.events

"""Coalesced wake-up calls: at most one wake-up message waits in the broker at a time.

Every commit that appends events asks for a wake-up. With a Redis broker a flag
(`SET NX`) says one is already queued and not yet started; then nothing is sent, because
the queued one will start after this commit and read it. The wake-up task clears the flag
as its first step, before it reads anything. The flag expires, and beat's sweep clears it
too, so a lost message only delays subscribers. Other brokers get one message per commit.
"""

import logging
from functools import cache

import redis
from celery import current_app

logger = logging.getLogger(__name__)

WAKE_TASK = "eventstore.tasks.wake_subscribers"
PENDING_KEY = "eventstore:wake-up-pending"
PENDING_TTL_SECONDS = 30


@cache
def _flag_store() -> tuple[redis.Redis, str] | None:
    url = str(current_app.conf.broker_url or "")
    if not url.startswith(("redis://", "rediss://")):
        return None
    prefix = (current_app.conf.broker_transport_options or {}).get("global_keyprefix", "")
    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    return client, prefix + PENDING_KEY


def request_wake_up(position: int) -> None:
    """After a commit: make sure a wake-up that will see `position` is on its way."""
    flag = None
    try:
        flag = _flag_store()
        if flag is not None:
            client, key = flag
            if not client.set(key, position, nx=True, ex=PENDING_TTL_SECONDS):
                return  # a queued wake-up has not started yet; it will read this commit
        # By name, so the store does not import the subscriber machinery that reads it.
        current_app.send_task(WAKE_TASK, args=[position])
    except Exception:
        # The events are committed; the periodic sweep will deliver them. The client's
        # command succeeded and must not see a broker failure.
        logger.exception("could not enqueue the subscriber wake-up for position %s", position)
        if flag is not None:
            _clear_flag_quietly(*flag)  # or later commits would wait on a message never sent


def _clear_flag_quietly(client: redis.Redis, key: str) -> None:
    try:
        client.delete(key)
    except Exception:
        pass  # Redis is down too: the flag expires on its own


def wake_up_started() -> None:
    """First thing a wake-up does: later commits must send their own."""
    flag = _flag_store()
    if flag is not None:
        client, key = flag
        client.delete(key)

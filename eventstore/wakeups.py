"""Coalesced wake-up calls: at most one wake-up message waits in the broker at a time.

Every commit that appends events asks for a wake-up. With a Redis broker a flag
(`SET NX`) says one is already queued and not yet started; then nothing is sent, because
the queued one will start after this commit and read it. The wake-up task clears the flag
as its first step, before it reads anything. The flag expires, and beat's sweep clears it
too, so a lost message only delays subscribers. Other brokers get one message per commit.

The committing thread never talks to the broker: `request_wake_up` only notes the request
and a sender thread of this process does the `SET NX` (and the send, when needed), once
for every request that arrived while it was busy. A command so costs no Redis round
trip, and a burst of commits costs one. A process that dies before its sender ran loses
nothing but time: the periodic sweep reads the log, not the message.
"""

import atexit
import logging
import os
import threading
from functools import cache

import redis
from celery import Celery
from celery.app import app_or_default
from celery.signals import worker_process_shutdown

logger = logging.getLogger(__name__)

WAKE_TASK = "eventstore.tasks.wake_subscribers"
PENDING_KEY = "eventstore:wake-up-pending"
PENDING_TTL_SECONDS = 30


def _flag_store(app: Celery | None = None) -> tuple[redis.Redis, str] | None:
    return _flag_store_of(app_or_default(app))


@cache
def _flag_store_of(app: Celery) -> tuple[redis.Redis, str] | None:
    url = str(app.conf.broker_url or "")
    if not url.startswith(("redis://", "rediss://")):
        return None
    prefix = (app.conf.broker_transport_options or {}).get("global_keyprefix", "")
    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    return client, prefix + PENDING_KEY


def request_wake_up() -> None:
    """After a commit: make sure a wake-up that will see it is on its way (returns at once)."""
    # Celery's current app is per thread: the sender thread must use the committing thread's.
    _sender.request(app_or_default())


def flush_wake_ups(timeout: float = 5.0) -> bool:
    """Wait until every wake-up requested so far has been handed to the broker (or failed)."""
    return _sender.flush(timeout)


def send_wake_up(app: Celery | None = None) -> None:
    """Send a wake-up unless one is already queued and not yet started."""
    app = app_or_default(app)
    flag = None
    try:
        flag = _flag_store(app)
        if flag is not None:
            client, key = flag
            if not client.set(key, 1, nx=True, ex=PENDING_TTL_SECONDS):
                return  # a queued wake-up has not started yet; it will read this commit
        # By name, so the store does not import the subscriber machinery that reads it.
        app.send_task(WAKE_TASK)
    except Exception:
        # The events are committed; the periodic sweep will deliver them. The client's
        # command succeeded and must not see a broker failure.
        logger.exception("could not enqueue the subscriber wake-up")
        if flag is not None:
            _clear_flag_quietly(*flag)  # or later commits would wait on a message never sent


class _Sender:
    """One daemon thread per process that sends the wake-ups asked for, coalescing bursts."""

    def __init__(self) -> None:
        self._reset()
        os.register_at_fork(after_in_child=self._reset)  # a forked worker starts its own thread

    def _reset(self) -> None:
        self._changed = threading.Condition()
        self._requested = 0  # requests so far
        self._served = 0  # requests covered by a finished send
        self._thread: threading.Thread | None = None
        self._app: Celery | None = None

    def request(self, app: Celery) -> None:
        with self._changed:
            self._app = app
            self._requested += 1
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="eventstore-wake-ups", daemon=True)
                self._thread.start()
            self._changed.notify_all()

    def flush(self, timeout: float) -> bool:
        with self._changed:
            target = self._requested
            return self._changed.wait_for(lambda: self._served >= target, timeout)

    def _run(self) -> None:
        while True:
            with self._changed:
                self._changed.wait_for(lambda: self._requested > self._served)
                covered = self._requested  # one send serves every request that came before it
                app = self._app
            send_wake_up(app)
            with self._changed:
                self._served = covered
                self._changed.notify_all()


_sender = _Sender()
atexit.register(flush_wake_ups, 1.0)  # a management command's last commit still wakes the workers


@worker_process_shutdown.connect
def _flush_before_pool_exit(**kwargs: object) -> None:
    """A Celery pool process leaves through `os._exit`, past `atexit`: flush its wake-ups first."""
    flush_wake_ups(1.0)


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

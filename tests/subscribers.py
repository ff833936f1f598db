"""Test-only subscribers: a recorder that counts every event it handles, and one that can be poisoned."""

from collections import Counter
from collections.abc import Sequence
from functools import partial

from django.db import transaction

from eventstore.routers import subscription_db
from eventstore.store import RecordedEvent
from eventstore.subscriptions import Subscriber


class Recorder(Subscriber):
    """Records every event id it handled, once its transaction has committed (rolled-back work is not counted).

    Events whose data carries `"poison": true` make it raise, while `poisoned` is True.
    """

    name = "test_recorder"
    handles_all_events = True
    poisoned = True
    attempts: Counter = Counter()
    handled: list[RecordedEvent] = []

    def handle_batch(self, events: Sequence[RecordedEvent]) -> None:
        for event in events:
            if event.data.get("poison") and type(self).poisoned:
                type(self).attempts[event.position] += 1
                raise ValueError(f"cannot digest event {event.position}")
        # On the subscriber's database: with a separate read database, `default` has no transaction open here.
        transaction.on_commit(partial(type(self).handled.extend, events), using=subscription_db())

    @classmethod
    def clear(cls) -> None:
        cls.attempts = Counter()
        cls.handled = []
        cls.poisoned = True

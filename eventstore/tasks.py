"""Celery tasks: wake-up calls for the subscribers. The log is the truth, not the message."""

from celery import shared_task

from eventstore.subscriptions import all_caught_up_to, catch_up_all


@shared_task(name="eventstore.tasks.wake_subscribers")
def wake_subscribers(position: int | None = None) -> None:
    """Sent after a commit that appended up to `position`."""
    if position is not None and all_caught_up_to(position):
        return  # a duplicate or late wake-up: an earlier one already delivered this
    catch_up_all()


@shared_task(name="eventstore.tasks.sweep_subscribers")
def sweep_subscribers() -> None:
    """Run by Celery beat, so a lost wake-up (or a broker outage) only delays projections."""
    catch_up_all()

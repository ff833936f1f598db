"""The event contract between the domain and its subscribers is checked, not just spelled alike.

Projections and the saga name the events they handle as strings (`@handles("ItemAdded")`);
rename an event class and a subscriber that still names the old type would silently stop
seeing it. Every name a subscriber handles must be an event type the domain registers.
"""

import importlib
import pkgutil

from django.conf import settings
from django.utils.module_loading import import_string

import commands_app.domain
from commands_app.domain.order import LineChanged
from commands_app.domain.registry import domain_events
from eventstore.subscriptions import Subscriber


def _subscriber_classes() -> list[type[Subscriber]]:
    for path in settings.EVENTSTORE_SUBSCRIBERS:  # imports every configured subscriber module
        import_string(path)
    found, todo = [], list(Subscriber.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.split(".")[0] in {"commands_app", "queries_app"}:
            found.append(cls)
    return found


def test_every_configured_subscriber_is_checked():
    names = {f"{cls.__module__}.{cls.__qualname__}" for cls in _subscriber_classes()}
    assert set(settings.EVENTSTORE_SUBSCRIBERS) <= names


def _domain_event_types() -> set[str]:
    for module in pkgutil.iter_modules(commands_app.domain.__path__):  # each registers its events on import
        importlib.import_module(f"commands_app.domain.{module.name}")
    return set(domain_events.event_types())


def test_every_handled_event_type_is_a_domain_event():
    known = _domain_event_types()
    assert known  # the registry was filled, so the check below means something
    unknown = {
        f"{cls.__qualname__}: {event_type}"
        for cls in _subscriber_classes()
        for event_type in cls.handlers
        if event_type not in known
    }
    assert unknown == set()


def test_every_event_that_carries_an_orders_decision_is_copied_by_its_readers():
    # A new line event (a subclass of LineChanged, which carries the order's total) or the
    # reopening must reach every reader that shows or acts on it, or that reader falls behind
    # the aggregate without an error.
    _domain_event_types()
    line_events = {cls.__name__ for cls in LineChanged.__subclasses__()}
    assert {"ItemAdded", "ItemRemoved"} <= line_events
    handled = {cls.name: set(cls.handlers) for cls in _subscriber_classes() if hasattr(cls, "name")}
    assert line_events | {"OrderReopened"} <= handled["order_summary"]
    assert line_events | {"OrderReopened"} <= handled["order_fulfilment"]
    assert line_events <= handled["customer_view"]

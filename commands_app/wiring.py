"""Builds the application's command bus: middleware from settings, the domain's handlers."""

from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

from commands_app.domain.handlers import register_domain_handlers
from commands_app.domain.registry import domain_events
from commands_app.framework.bus import CommandBus
from commands_app.framework.repository import AggregateRepository
from eventstore.store import EventStore


@cache
def aggregate_repository() -> AggregateRepository:
    """The process-wide repository the bus's handlers load and save with (sagas load with it too)."""
    return AggregateRepository(EventStore(), domain_events)


@cache
def command_bus() -> CommandBus:
    """The process-wide bus (built once; it holds no per-request state)."""
    bus = CommandBus(middleware=[import_string(path)() for path in settings.COMMAND_BUS_MIDDLEWARE])
    register_domain_handlers(bus, aggregate_repository())
    return bus

"""The `CommandBus`: routes each command to its handler through a chain of middleware."""

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol

from commands_app.framework.commands import Command


@dataclass(frozen=True)
class CommandContext:
    """Who sent a command and which request it belongs to; it ends up in event metadata."""

    user: str | None = None
    correlation_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    causation_id: str | None = None

    def event_metadata(self, command: Command) -> dict[str, Any]:
        return {
            "correlation_id": self.correlation_id,
            "causation_id": self.causation_id or str(command.command_id),
            "command": command.command_type(),
            "command_id": str(command.command_id),
            "user": self.user,
        }


@dataclass(frozen=True)
class CommandResult:
    """What a successful command did: the HTTP success body."""

    aggregate_id: str
    version: int
    position: int
    events: list[str]


Handler = Callable[[Command, CommandContext], CommandResult]


class Middleware(Protocol):
    """A step around every dispatch; call `next_handler` to go on, or raise to refuse."""

    def __call__(self, command: Command, context: CommandContext, next_handler: Handler) -> CommandResult: ...


class CommandBus:
    """A handler registry plus a middleware chain, outermost middleware first."""

    def __init__(self, middleware: Sequence[Middleware] = ()) -> None:
        self._handlers: dict[type[Command], Handler] = {}
        chain: Handler = self._handle
        for step in reversed(middleware):
            chain = partial(step, next_handler=chain)
        self._chain = chain

    def register(self, command_type: type[Command], handler: Handler) -> None:
        if command_type in self._handlers:
            raise ValueError(f"{command_type.__name__} already has a handler")
        self._handlers[command_type] = handler

    def dispatch(self, command: Command, context: CommandContext | None = None) -> CommandResult:
        return self._chain(command, context or CommandContext())

    def _handle(self, command: Command, context: CommandContext) -> CommandResult:
        try:
            handler = self._handlers[type(command)]
        except KeyError:
            raise LookupError(f"no handler is registered for {type(command).__name__}") from None
        return handler(command, context)

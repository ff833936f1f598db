"""The `Customer` aggregate and its events."""

from dataclasses import dataclass
from functools import singledispatchmethod
from typing import Any
from uuid import UUID

from commands_app.domain.registry import domain_aggregates, domain_events
from commands_app.framework.aggregate import Aggregate


@domain_events.register
@dataclass(frozen=True)
class CustomerRegistered:
    name: str
    email: str


@domain_events.register
@dataclass(frozen=True)
class CustomerUpdated:
    name: str
    email: str


@domain_aggregates.register
class Customer(Aggregate):
    """A customer who can place orders."""

    stream_type = "Customer"

    def __init__(self, aggregate_id: str | UUID) -> None:
        super().__init__(aggregate_id)
        self.name = ""
        self.email = ""

    def register(self, name: str, email: str) -> None:
        self.raise_event(CustomerRegistered(name=name, email=email))

    def update(self, name: str | None, email: str | None) -> None:
        """New values for what is given; when nothing would change, no event (the command answers 200)."""
        updated = CustomerUpdated(
            name=self.name if name is None else name, email=self.email if email is None else email
        )
        if (updated.name, updated.email) != (self.name, self.email):
            self.raise_event(updated)

    def snapshot_state(self) -> dict[str, Any]:
        return {"name": self.name, "email": self.email}

    def restore_state(self, state: dict[str, Any]) -> None:
        name, email = state["name"], state["email"]
        if not (isinstance(name, str) and isinstance(email, str)):
            raise ValueError(f"customer snapshot state has a non-text name or email: {state!r}")
        self.name, self.email = name, email

    @singledispatchmethod
    def apply(self, event: object) -> None:
        super().apply(event)

    @apply.register
    def _(self, event: CustomerRegistered) -> None:
        self.name, self.email = event.name, event.email

    @apply.register
    def _(self, event: CustomerUpdated) -> None:
        self.name, self.email = event.name, event.email

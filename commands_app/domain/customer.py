"""The `Customer` aggregate and its events.

A customer's name and email are personal data (`personal_fields`): stored sealed with the
customer's own key, and gone for good once the customer is forgotten (`CustomerForgotten`
records that the key was destroyed; it carries no personal data itself).
"""

from dataclasses import dataclass
from functools import singledispatchmethod
from typing import Any, ClassVar
from uuid import UUID

from commands_app.domain.registry import domain_aggregates, domain_events, snapshotted_aggregate
from commands_app.framework.aggregate import Aggregate
from commands_app.framework.errors import DomainError


@domain_events.register
@dataclass(frozen=True)
class CustomerRegistered:
    personal_fields: ClassVar[tuple[str, ...]] = ("name", "email")

    # None once the customer is forgotten (the stored values can no longer be opened).
    name: str | None
    email: str | None


@domain_events.register
@dataclass(frozen=True)
class CustomerUpdated:
    personal_fields: ClassVar[tuple[str, ...]] = ("name", "email")

    name: str | None
    email: str | None


@domain_events.register
@dataclass(frozen=True)
class CustomerForgotten:
    """The customer's personal data was destroyed (GDPR art. 17). Orders and totals stay."""


@domain_aggregates.register
@snapshotted_aggregate
class Customer(Aggregate):
    """A customer who can place orders, until they are forgotten."""

    stream_type = "Customer"
    # 2: personal fields sealed, and `forgotten`; schema-1 snapshots (plain text) are ignored.
    snapshot_schema_version = 2
    personal_state = ("name", "email")

    def __init__(self, aggregate_id: str | UUID) -> None:
        super().__init__(aggregate_id)
        self.name: str | None = ""
        self.email: str | None = ""
        self.forgotten = False

    def register(self, name: str, email: str) -> None:
        self.raise_event(CustomerRegistered(name=name, email=email))

    def update(self, name: str | None, email: str | None) -> None:
        """New values for what is given; when nothing would change, no event (the command answers 200)."""
        self.check_not_forgotten()
        updated = CustomerUpdated(
            name=self.name if name is None else name, email=self.email if email is None else email
        )
        if (updated.name, updated.email) != (self.name, self.email):
            self.raise_event(updated)

    def forget(self) -> bool:
        """Record that the customer's personal data is destroyed; False when it already was (nothing to do)."""
        if self.forgotten:
            return False
        self.raise_event(CustomerForgotten())
        return True

    def check_not_forgotten(self) -> None:
        if self.forgotten:
            raise DomainError(
                f"Customer {self.id} has been forgotten (their personal data was erased); "
                "no command may change them or place orders for them."
            )

    def snapshot_state(self) -> dict[str, Any]:
        return {"name": self.name, "email": self.email, "forgotten": self.forgotten}

    def restore_state(self, state: dict[str, Any]) -> None:
        name, email, forgotten = state["name"], state["email"], state.get("forgotten", False)
        if not (isinstance(forgotten, bool) and all(isinstance(v, str) or (v is None) for v in (name, email))):
            raise ValueError(f"customer snapshot state has a non-text name or email: {state!r}")
        self.name, self.email, self.forgotten = name, email, forgotten

    @singledispatchmethod
    def apply(self, event: object) -> None:
        super().apply(event)

    @apply.register
    def _(self, event: CustomerRegistered) -> None:
        self.name, self.email = event.name, event.email

    @apply.register
    def _(self, event: CustomerUpdated) -> None:
        self.name, self.email = event.name, event.email

    @apply.register
    def _(self, event: CustomerForgotten) -> None:
        self.name, self.email, self.forgotten = None, None, True

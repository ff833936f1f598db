"""The `Command` base type: an immutable request that names its target and checks itself."""

import re
import uuid
from dataclasses import dataclass, field
from typing import ClassVar

from commands_app.framework.errors import CommandInvalid


@dataclass(frozen=True, kw_only=True)
class Command:
    """Base for commands: imperative, immutable, self-validating.

    Subclasses are `@dataclass(frozen=True, kw_only=True)`, override `aggregate_id()` and
    `check()`. `expected_version`, when set, makes the command fail with a conflict unless
    the aggregate is at exactly that version.

    `retry_on_conflict = True` marks a command that may be re-run on fresh state when a
    concurrent writer got to its aggregate first (see `RetryOnConflictMiddleware`). Set it
    only when deciding again on the newer state is what the sender meant: the domain method
    re-checks every rule, so the retry can still be refused. A command sent with an
    `expected_version` is never retried, marked or not.
    """

    command_id: uuid.UUID = field(default_factory=uuid.uuid4)
    expected_version: int | None = None

    type_name: ClassVar[str] = ""
    retry_on_conflict: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        # PlaceOrder -> "place-order": the name in URLs, logs and event metadata.
        cls.type_name = re.sub(r"(?<!^)(?=[A-Z])", "-", cls.__name__).lower()

    @classmethod
    def command_type(cls) -> str:
        return cls.type_name

    def aggregate_id(self) -> str:
        raise NotImplementedError

    def validate(self) -> None:
        """Raise `CommandInvalid` with every broken rule, by field."""
        errors = FieldErrors()
        if self.expected_version is not None:
            errors.check(
                isinstance(self.expected_version, int)
                and not isinstance(self.expected_version, bool)
                and self.expected_version >= 0,
                "expected_version",
                "Must be a whole number, 0 or more.",
            )
        self.check(errors)
        errors.raise_if_any()

    def check(self, errors: "FieldErrors") -> None:
        """Override: add an error for each rule this command breaks."""


class FieldErrors:
    """Collects validation errors by field, so a client sees all of them at once."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, field_name: str, message: str) -> None:
        self.errors.setdefault(field_name, []).append(message)

    def check(self, condition: bool, field_name: str, message: str) -> bool:
        if not condition:
            self.add(field_name, message)
        return condition

    def raise_if_any(self) -> None:
        if self.errors:
            raise CommandInvalid(self.errors)

"""Why a command was refused. The HTTP layer maps each class to one status code."""


class CommandError(Exception):
    """Base for every refusal a client can act on."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class CommandInvalid(CommandError):
    """The command breaks a rule it can check on its own (a range, a format): 400."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors
        summary = "; ".join(f"{field}: {' '.join(messages)}" for field, messages in errors.items())
        super().__init__(f"Invalid command. {summary}")


class AggregateNotFound(CommandError):
    """The command targets an aggregate that does not exist: 404."""


class AggregateAlreadyExists(CommandError):
    """The command would create an aggregate whose id is taken: 409."""


class DomainError(CommandError):
    """A rule that needs the aggregate's state refused the command: 422."""


class CommandFailed(CommandError):
    """An unexpected failure; nothing was written. Carries an id to find it in the logs: 500."""

    def __init__(self, error_id: str) -> None:
        self.error_id = error_id
        super().__init__(f"The command failed unexpectedly and changed nothing. Error id: {error_id}.")


class ValueTaken(CommandError):
    """A value that must be unique (a customer's email) is held by another aggregate: 409, naming the field."""

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(detail)
        self.field = field

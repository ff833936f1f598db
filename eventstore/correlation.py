"""Everything one request caused, as a tree: commands, their events, the commands those events caused.

Built only from the metadata every event carries (`correlation_id`, `causation_id`,
`command`, `command_id`, `user`), so it knows nothing of the domain or of any one saga:
a command whose cause is an event of the same correlation hangs under that event (a saga
step); a command caused by nothing in the log (its causation id is its own id) is a root.
"""

from dataclasses import dataclass, field

from eventstore.models import Event

# A request that fans out further than this is shown cut off, with a note: the page loads
# these rows at once, so the cap is what keeps its memory bounded.
CORRELATION_EVENT_LIMIT = 1000


@dataclass(eq=False)  # nodes are compared by identity
class CommandNode:
    """One command of the request and the events it wrote, in position order."""

    command_id: str | None  # None groups events written without a command (imports, tests)
    command_type: str
    user: str | None
    causation_id: str | None
    events: list[Event] = field(default_factory=list)
    cause: Event | None = None  # the event of this request that caused it (a saga step)

    @property
    def sent_by_client(self) -> bool:
        # The bus sets the causation id to the command's own id unless something else caused it.
        return not self.causation_id or self.causation_id == self.command_id

    @property
    def first_position(self) -> int:
        return self.events[0].position


@dataclass(frozen=True)
class Row:
    """One line of the rendered tree: a command or an event, at a depth."""

    depth: int
    command: CommandNode | None = None
    event: Event | None = None


@dataclass
class CorrelationTree:
    """One request's rows in tree order, with counts (`truncated`: more events than the page shows)."""

    correlation_id: str
    rows: list[Row]
    event_count: int
    command_count: int
    truncated: bool


def correlation_tree(correlation_id: str, limit: int = CORRELATION_EVENT_LIMIT) -> CorrelationTree:
    """The request `correlation_id` as rows in tree order (each command's events follow it)."""
    events = list(Event.objects.filter(metadata__correlation_id=correlation_id).order_by("position")[: limit + 1])
    truncated = len(events) > limit
    events = events[:limit]

    commands: dict[str | None, CommandNode] = {}
    for event in events:
        metadata = event.metadata or {}
        command_id = metadata.get("command_id")
        node = commands.get(command_id)
        if node is None:
            node = commands[command_id] = CommandNode(
                command_id=command_id,
                command_type=metadata.get("command") or ("(no command)" if command_id is None else "?"),
                user=metadata.get("user"),
                causation_id=metadata.get("causation_id") if command_id else None,
            )
        node.events.append(event)

    by_event_id = {str(event.event_id): event for event in events}
    caused_by_event: dict[str, list[CommandNode]] = {}
    roots = []
    for node in commands.values():
        node.cause = None if node.sent_by_client else by_event_id.get(node.causation_id or "")
        if node.cause is None:
            roots.append(node)  # a client's command, or one whose cause lies outside this request
        else:
            caused_by_event.setdefault(str(node.cause.event_id), []).append(node)

    rows: list[Row] = []
    placed: set[str | None] = set()
    # Depth first and iterative: a command, then each of its events, each event followed by
    # the commands it caused. `placed` guards against a cycle that forged metadata could make.
    # Commands no root reaches (only forged metadata makes such a cycle) come last, at the top level.
    unreached = [node for node in commands.values() if node not in roots]
    stack = [Row(0, command=node) for node in reversed(unreached)] + [Row(0, command=node) for node in reversed(roots)]
    while stack:
        row = stack.pop()
        if row.command is not None:
            if row.command.command_id in placed:
                continue
            placed.add(row.command.command_id)
            rows.append(row)
            stack.extend(Row(row.depth + 1, event=event) for event in reversed(row.command.events))
        elif row.event is not None:
            rows.append(row)
            caused = caused_by_event.get(str(row.event.event_id), [])
            stack.extend(Row(row.depth + 1, command=child) for child in reversed(caused))
    return CorrelationTree(correlation_id, rows, len(events), len(commands), truncated)

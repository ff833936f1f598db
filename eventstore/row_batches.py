"""Row batches: the read-model rows one batch of events touches, loaded once and written once.

A `BatchProjection` applies a batch of events in memory. Its batch object loads the rows the
events touch, one query per table; the handlers change those rows and mark them changed; at
the end the changed rows are written, one statement per table (`eventstore.tables`). This
module is that shape, apart from any domain:

- `RowTable` says how one model's rows live in memory: as instances of a slotted dataclass
  whose fields are the model's columns (a model instance costs ~10x as much to make), found by
  a unique key, and upserted on a unique column.
- `Rows` holds the rows of one table that one batch touches, by key.
- `ChildRows` holds rows that belong to a parent row (an order's lines), kept per parent and
  written by replacing all of a changed parent's rows.

What a projection keeps, and which ids a batch touches, stay with the projection.
"""

import dataclasses
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

from django.db.models import Model

from eventstore.store import RecordedEvent
from eventstore.tables import columns_of, delete, select, upsert

R = TypeVar("R")


@dataclass(frozen=True)
class RowTable(Generic[R]):
    """How rows of `model` are kept while a batch is applied.

    `row` is a dataclass (slotted, for speed) with one field per column the upsert writes,
    named by the fields' attribute names (`order_id`, not `order`). `key` is the field rows are
    found by; upserts meet existing rows on `conflict` (default: `key`) and overwrite every
    other column. `noun` and `missing` word the error for an event about a row that is not
    there: "OrderShipped for order 42, which was never placed".
    """

    model: type[Model]
    row: type[R]
    key: str
    conflict: str = ""
    noun: str = "row"
    missing: str = "which does not exist"

    def __post_init__(self) -> None:
        names = [f.name for f in dataclasses.fields(self.row)]  # type: ignore[arg-type]
        columns = [f.attname for f in columns_of(self.model)]
        if sorted(names) != sorted(columns):
            raise TypeError(
                f"{self.row.__name__} must have exactly the fields {columns} of {self.model.__name__}, has {names}"
            )

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(self.row))  # type: ignore[arg-type]

    def load(self, by: str, keys: Collection[str]) -> list[R]:
        """The stored rows whose field `by` is one of `keys`."""
        row = self.row
        return [row(*values) for values in select(self.model, self.names, by=by, keys=keys)]

    def save(self, rows: Collection[R]) -> None:
        """Upsert `rows`: inserted, or overwriting the row with the same `conflict` value."""
        conflict = self.conflict or self.key
        others = [n for n in self.names if n != conflict]
        upsert(self.model, rows, conflict_fields=[conflict], update_fields=others)

    def insert(self, rows: Collection[R]) -> None:
        upsert(self.model, rows)


class Rows(Generic[R]):
    """The rows of one table that one batch touches, by key; the changed ones are saved at the end.

    Built with the keys of rows that may exist already (one query loads them); rows the batch
    creates are `add`ed. A handler takes a row with `change` (it must exist) or `get` (it may
    not), and marks a row taken with `get` with `mark` if it changes it.
    """

    def __init__(self, table: RowTable[R], keys: Collection[str] = ()) -> None:
        self.table = table
        key = table.key
        self.rows: dict[str, R] = {getattr(r, key): r for r in table.load(key, keys)} if keys else {}
        self.changed: dict[str, None] = {}  # ordered: rows are written in the order they changed

    def __contains__(self, key: str) -> bool:
        return key in self.rows

    def __iter__(self) -> Iterator[str]:
        return iter(self.rows)

    def values(self) -> Iterator[R]:
        return iter(self.rows.values())

    def items(self) -> Iterator[tuple[str, R]]:
        return iter(self.rows.items())

    def get(self, key: str) -> R | None:
        return self.rows.get(key)

    def add(self, key: str, row: R) -> R:
        """A row this batch creates (or replaces whole)."""
        self.rows[key] = row
        self.changed[key] = None
        return row

    def mark(self, key: str) -> None:
        self.changed[key] = None

    def change(self, key: str, event: RecordedEvent) -> R:
        """The row `event` changes, marked changed; LookupError if there is none."""
        try:
            row = self.rows[key]
        except KeyError:
            table = self.table
            raise LookupError(f"{event.event_type} for {table.noun} {key}, {table.missing}") from None
        self.changed[key] = None
        return row

    def save(self) -> None:
        if self.changed:
            rows = self.rows
            self.table.save([rows[k] for k in self.changed])


class ChildRows(Generic[R]):
    """Rows that belong to a parent row (an order's lines), per parent key, then by `table.key`.

    Built with the parents that may have rows already (one query loads them all). Saving
    replaces the rows of every changed parent: deleted, then inserted as they are now, so a
    row removed in memory is removed from the table. A parent created in this batch (`new`)
    has nothing stored to delete, which in a rebuild is most of them.
    """

    def __init__(self, table: RowTable[R], parents: Collection[str], *, parent: str) -> None:
        self.table = table
        self.parent = parent
        self.rows: dict[str, dict[str, R]] = {}
        key = table.key
        for row in table.load(parent, parents) if parents else ():
            self.rows.setdefault(getattr(row, parent), {})[getattr(row, key)] = row
        self.changed: dict[str, None] = {}
        self.created: set[str] = set()

    def new(self, parent: str, rows: dict[str, R]) -> None:
        """The rows of a parent this batch creates."""
        self.rows[parent] = rows
        self.changed[parent] = None
        self.created.add(parent)

    def change(self, parent: str) -> dict[str, R]:
        """The rows of `parent` (by key), marked changed: add, change or remove them in place."""
        self.changed[parent] = None
        return self.rows.setdefault(parent, {})

    def save(self) -> None:
        if not self.changed:
            return
        replaced = [p for p in self.changed if p not in self.created]
        delete(self.table.model, by=self.parent, keys=replaced)
        self.table.insert([row for p in self.changed for row in self.rows.get(p, {}).values()])

"""Bulk writes for projections: one `INSERT … SELECT FROM unnest(…) ON CONFLICT` per batch.

Django's `bulk_create` prepares every value of every row through its field (`get_db_prep_save`)
and binds them on the client: in a profile of a rebuild that was the largest single cost. Here
each column travels as one text array, bound on the server (`eventstore.db.hot_cursor`), and
PostgreSQL parses the values as the column's type. Other databases get `bulk_create`.
"""

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connections, router
from django.db.models import AutoField, BigAutoField, Field, Model, SmallAutoField

from eventstore.db import hot_cursor

AUTO_FIELDS = (AutoField, BigAutoField, SmallAutoField)


def text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "t" if value else "f"
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


def upsert(
    model: type[Model],
    objects: Iterable[Any],
    *,
    conflict_fields: Sequence[str] = (),
    update_fields: Sequence[str] = (),
) -> None:
    """Insert `objects`; with `conflict_fields`, a row that exists gets `update_fields` instead.

    The same contract as `bulk_create(update_conflicts=True, unique_fields=…, update_fields=…)`,
    and without `conflict_fields` a plain insert. Auto primary keys are left to the database.
    `objects` are model instances or any objects with the fields' attribute names (`order_id`),
    which are cheaper to make; the latter need PostgreSQL (elsewhere they become instances).
    """
    rows = list(objects)
    if not rows:
        return
    alias = router.db_for_write(model)
    connection = connections[alias]
    if connection.vendor != "postgresql":
        names = [f.attname for f in model._meta.concrete_fields if not isinstance(f, AUTO_FIELDS)]
        instances = [r if isinstance(r, model) else model(**{n: getattr(r, n) for n in names}) for r in rows]
        model._default_manager.using(alias).bulk_create(
            instances,
            update_conflicts=bool(conflict_fields),
            unique_fields=list(conflict_fields) or None,
            update_fields=list(update_fields) or None,
        )
        return
    meta = model._meta
    fields: list[Field[Any, Any]] = [f for f in meta.concrete_fields if not isinstance(f, AUTO_FIELDS)]
    quote = connection.ops.quote_name

    def column(name: str) -> str:
        field = meta.get_field(name)
        assert isinstance(field, Field) and field.column, f"{model.__name__}.{name} is no column"
        return quote(field.column)

    columns = ", ".join(column(f.name) for f in fields)
    arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in fields)
    sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) SELECT * FROM unnest({arrays})"
    if conflict_fields:
        conflict = ", ".join(column(name) for name in conflict_fields)
        updates = ", ".join(f"{column(name)} = EXCLUDED.{column(name)}" for name in update_fields)
        sql += f" ON CONFLICT ({conflict}) DO " + (f"UPDATE SET {updates}" if updates else "NOTHING")
    values = [[text(getattr(row, f.attname)) for row in rows] for f in fields]
    with hot_cursor(connection) as cursor:
        cursor.execute(sql, values)

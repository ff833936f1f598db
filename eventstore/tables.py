"""Bulk reads and writes of read-model tables: one statement per table per batch.

Django's `bulk_create` prepares every value of every row through its field (`get_db_prep_save`)
and binds them on the client, and its querysets compile afresh per batch: in profiles of a
rebuild those were the largest costs. On PostgreSQL a batch's rows travel instead as one JSON
array of arrays, made by `json.dumps` (C), bound on the server (`eventstore.db.hot_cursor`, so
each statement is prepared once per connection), and PostgreSQL casts each value to its
column's type. Typed arrays (`unnest(%s::text[], …)`) were slower: psycopg builds an array
parameter element by element in Python. The statements are made once per model and shape.
Other databases get `bulk_create` and querysets.
"""

import json
from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import date, datetime, time
from functools import cache
from operator import attrgetter
from typing import Any

from django.db import connections, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import AutoField, BigAutoField, Field, ForeignKey, Model, SmallAutoField, UUIDField

from eventstore.db import hot_cursor

AUTO_FIELDS = (AutoField, BigAutoField, SmallAutoField)


def columns_of(model: type[Model]) -> list[Field[Any, Any]]:
    """The fields an upsert writes: every concrete field but an auto primary key."""
    return [f for f in model._meta.concrete_fields if not isinstance(f, AUTO_FIELDS)]


def json_value(value: Any) -> str:
    """`json.dumps`'s fallback: the text PostgreSQL reads as the column's type."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)  # Decimal, UUID


def as_json(values: Iterable[Any]) -> str:
    return json.dumps(list(values), default=json_value, ensure_ascii=False, separators=(",", ":"))


def _connection(model: type[Model]) -> BaseDatabaseWrapper:
    return connections[router.db_for_write(model)]


def _field(model: type[Model], name: str) -> Field[Any, Any]:
    field = model._meta.get_field(name)
    assert isinstance(field, Field) and field.column, f"{model.__name__}.{name} is no column"
    return field


def _quoted(field: Field[Any, Any], connection: BaseDatabaseWrapper) -> str:
    assert field.column, f"{field} is no column"
    return connection.ops.quote_name(field.column)


def _is_uuid(field: Field[Any, Any]) -> bool:
    """A UUID column, a foreign key to one included (`order_id`)."""
    target = field.target_field if isinstance(field, ForeignKey) else field
    return isinstance(target, UUIDField)


def _keys_match(model: type[Model], name: str, connection: BaseDatabaseWrapper) -> str:
    """`column IN (…)` of one JSON array of keys (the statement's only parameter).

    A semi-join, not `= ANY(array)`: on a generation's new tables, which have no statistics
    yet, the array form was planned as a sequential scan testing every row against every key.
    """
    field = _field(model, name)
    column = _quoted(field, connection)
    return f"{column} IN (SELECT key::{field.db_type(connection)} FROM json_array_elements_text(%s::json) AS key)"


@cache
def _select_sql(model: type[Model], names: tuple[str, ...], by: str, vendor: str) -> str:
    connection = _connection(model)
    selected = []
    for name in names:
        field = _field(model, name)
        column = _quoted(field, connection)
        # Keys as text, as events name them ("stream_id"), not as UUID objects.
        selected.append(f"{column}::text" if _is_uuid(field) else column)
    table = connection.ops.quote_name(model._meta.db_table)
    return f"SELECT {', '.join(selected)} FROM {table} WHERE {_keys_match(model, by, connection)}"


def select(model: type[Model], names: Sequence[str], *, by: str, keys: Collection[str]) -> list[tuple[Any, ...]]:
    """The rows of `model` whose field `by` is one of `keys`: tuples of the fields `names`.

    UUIDs come back as text, as events carry them, on every database.
    """
    if not keys:
        return []
    connection = _connection(model)
    if connection.vendor != "postgresql":
        uuids = [_is_uuid(_field(model, n)) for n in names]
        found = model._default_manager.using(connection.alias).filter(**{f"{by}__in": list(keys)})
        return [
            tuple(str(v) if is_uuid and v is not None else v for v, is_uuid in zip(row, uuids, strict=True))
            for row in found.values_list(*names)
        ]
    with hot_cursor(connection) as cursor:
        cursor.execute(_select_sql(model, tuple(names), by, connection.vendor), [as_json(keys)])
        rows: list[tuple[Any, ...]] = cursor.fetchall()
        return rows


def delete(model: type[Model], *, by: str, keys: Collection[str]) -> None:
    """Delete the rows of `model` whose field `by` is one of `keys`."""
    if not keys:
        return
    connection = _connection(model)
    if connection.vendor != "postgresql":
        model._default_manager.using(connection.alias).filter(**{f"{by}__in": list(keys)}).delete()
        return
    table = connection.ops.quote_name(model._meta.db_table)
    with hot_cursor(connection) as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE {_keys_match(model, by, connection)}", [as_json(keys)])


@cache
def _upsert_sql(
    model: type[Model], conflict_fields: tuple[str, ...], update_fields: tuple[str, ...], vendor: str
) -> str:
    connection = _connection(model)
    quote = connection.ops.quote_name
    fields = columns_of(model)
    columns = ", ".join(_quoted(f, connection) for f in fields)
    # ->> reads each value as text (from jsonb: parsed once, where json is parsed again by
    # every ->>, about 3x the time); the cast to the column's own type is the one `unnest` of
    # typed arrays made before (a varchar(n) or numeric(p, s) cast included).
    values = ", ".join(f"(row->>{i})::{f.db_type(connection)}" for i, f in enumerate(fields))
    table = quote(model._meta.db_table)
    sql = f"INSERT INTO {table} ({columns}) SELECT {values} FROM jsonb_array_elements(%s::jsonb) AS row"
    if conflict_fields:
        conflict = ", ".join(_quoted(_field(model, name), connection) for name in conflict_fields)
        updated = [_quoted(_field(model, name), connection) for name in update_fields]
        updates = ", ".join(f"{column} = EXCLUDED.{column}" for column in updated)
        sql += f" ON CONFLICT ({conflict}) DO " + (f"UPDATE SET {updates}" if updates else "NOTHING")
    return sql


@cache
def _row_values(model: type[Model]) -> Callable[[Any], Any]:
    """A row's values in column order (`attrgetter`: one C call a row)."""
    names = [f.attname for f in columns_of(model)]
    if len(names) == 1:  # attrgetter of one name gives the value, not a 1-tuple
        return lambda row: (getattr(row, names[0]),)
    return attrgetter(*names)


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
    connection = _connection(model)
    if connection.vendor != "postgresql":
        names = [f.attname for f in columns_of(model)]
        instances = [r if isinstance(r, model) else model(**{n: getattr(r, n) for n in names}) for r in rows]
        model._default_manager.using(connection.alias).bulk_create(
            instances,
            update_conflicts=bool(conflict_fields),
            unique_fields=list(conflict_fields) or None,
            update_fields=list(update_fields) or None,
        )
        return
    payload = as_json(map(_row_values(model), rows))
    sql = _upsert_sql(model, tuple(conflict_fields), tuple(update_fields), connection.vendor)
    with hot_cursor(connection) as cursor:
        cursor.execute(sql, [payload])

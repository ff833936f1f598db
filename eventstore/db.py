"""Cursors for the event store's hot statements.

Django's PostgreSQL cursors bind parameters on the client, so PostgreSQL plans every
statement afresh. The few statements every command runs (append, stream load, position)
go through a psycopg cursor that binds on the server instead, so each is prepared once per
connection (`prepare_threshold` in the database's `OPTIONS`, see settings). It is wrapped
by Django like any cursor: errors become Django's, and query logging, `execute_wrapper`s and
`django_assert_num_queries` see it. Other databases get Django's own cursor.
"""

import psycopg
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorWrapper


def hot_cursor(connection: BaseDatabaseWrapper) -> CursorWrapper:
    """A cursor for a statement run on every command (use it as a context manager)."""
    if connection.vendor != "postgresql":
        return connection.cursor()
    connection.ensure_connection()
    cursor = psycopg.Cursor(connection.connection)
    # django-stubs type the argument as a CursorWrapper; Django wraps the driver's own cursor.
    if connection.queries_logged:
        return connection.make_debug_cursor(cursor)  # type: ignore[arg-type]
    return connection.make_cursor(cursor)  # type: ignore[arg-type]

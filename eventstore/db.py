"""Cursors for the event store's hot statements.

Django's PostgreSQL cursors bind parameters on the client, so PostgreSQL plans every
statement afresh. The few statements every command runs (append, stream load, position)
go through a psycopg cursor that binds on the server instead, so each is prepared once per
connection (`prepare_threshold` in the database's `OPTIONS`, see settings). It is wrapped
by Django like any cursor: errors become Django's, and query logging, `execute_wrapper`s and
`django_assert_num_queries` see it. Other databases get Django's own cursor.

The log's read path (`EventStore.read_all`, run for every batch of every subscriber) asks for
binary results besides (`hot_cursor(binary=True)`): integers, uuids and timestamps then load in psycopg's C
code, where Django's text timestamp loader is pure Python (a fifth of a batch read), and JSON
loads with orjson instead of the standard library (several times faster).
"""

import json
from typing import Any

import orjson
import psycopg
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorWrapper
from psycopg import abc
from psycopg import adapters as psycopg_adapters
from psycopg.abc import Buffer
from psycopg.adapt import Loader
from psycopg.pq import Format


def hot_cursor(connection: BaseDatabaseWrapper, *, binary: bool = False) -> CursorWrapper:
    """A cursor for a statement run on every command (use it as a context manager).

    `binary`: results come in PostgreSQL's binary format (PostgreSQL only; `EventStore.read_all` uses it).
    """
    if connection.vendor != "postgresql":
        return connection.cursor()
    connection.ensure_connection()
    cursor = psycopg.Cursor(connection.connection)
    if binary:
        cursor.format = Format.BINARY
        # Django's connection maps timestamptz to its own pure-Python loader (text format only);
        # the binary one is psycopg's C loader, in the session's time zone (UTC, set by Django).
        cursor.adapters.register_loader("timestamptz", TIMESTAMPTZ_BINARY_LOADER)
        cursor.adapters.register_loader("jsonb", JsonbLoader)
    # django-stubs type the argument as a CursorWrapper; Django wraps the driver's own cursor.
    if connection.queries_logged:
        return connection.make_debug_cursor(cursor)  # type: ignore[arg-type]
    return connection.make_cursor(cursor)  # type: ignore[arg-type]


def _timestamptz_binary_loader() -> type[abc.Loader]:
    """psycopg's own (C, where psycopg[binary] is installed), not Django's subclass of the Python one."""
    loader = psycopg_adapters.get_loader(psycopg_adapters.types["timestamptz"].oid, Format.BINARY)
    if loader is None:
        raise RuntimeError("psycopg has no binary timestamptz loader")
    return loader


TIMESTAMPTZ_BINARY_LOADER = _timestamptz_binary_loader()


def loads(text: str | bytes | memoryview) -> Any:
    """Decode JSON as Django's JSONField would, with orjson where it is exact.

    orjson reads an integer beyond 64 bits as a float, silently; jsonb keeps such integers
    exactly. Text with a run of 19 digits (the shortest that can leave 64 bits) goes to the
    standard library instead: a run inside a string only costs the slower decoder. The run is
    looked for with `bytes.translate` (every digit made "0") and a substring search, a fifth of
    what orjson's decoding costs where a regular expression costs three times it.
    """
    raw = text.encode() if isinstance(text, str) else bytes(text)
    if LONG_DIGIT_RUN not in raw.translate(DIGITS_AS_ZERO):
        return orjson.loads(raw)
    return json.loads(raw)


DIGITS_AS_ZERO = bytes.maketrans(b"0123456789", b"0" * 10)
LONG_DIGIT_RUN = b"0" * 19


class JsonbLoader(Loader):
    """jsonb in binary format (a version byte, then the JSON text), decoded with `loads`."""

    format = Format.BINARY

    def load(self, data: Buffer) -> Any:
        if data and data[0] != 1:
            raise psycopg.DataError(f"unknown jsonb binary format: {data[0]}")
        return loads(memoryview(data)[1:])

"""Counts round trips to PostgreSQL: how often the client sent and then waited for the server's answer.

libpq traces every protocol message (`PGconn.trace`); each run of messages from the client
(Parse, Bind, Execute, Sync…) followed by the server's answers is one round trip, however
many statements it carries. Statement counts (`django_assert_num_queries`) cannot tell a
pipelined statement from one that waits on its own; this can.
"""

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import connections
from psycopg import pq


@dataclass
class RoundTrips:
    messages: list[tuple[str, str]] = field(default_factory=list)  # (F or B, message name)

    @property
    def count(self) -> int:
        turns, last = 0, None
        for direction, _ in self.messages:
            if direction == "F" and last != "F":
                turns += 1
            last = direction
        return turns


@contextmanager
def counting_round_trips(using: str = "default") -> Iterator[RoundTrips]:
    """Count the round trips of the block on this thread's connection (PostgreSQL only)."""
    connection = connections[using]
    connection.ensure_connection()
    pgconn = connection.connection.pgconn
    found = RoundTrips()
    fd, path = tempfile.mkstemp(prefix="pgtrace-")
    try:
        pgconn.trace(fd)
        pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)
        try:
            yield found
        finally:
            pgconn.untrace()  # flushes libpq's stream (which psycopg never closes; the fd is closed below)
        with open(path) as trace:
            for line in trace:
                parts = line.split("\t")
                if len(parts) > 2 and parts[0] in ("F", "B"):
                    found.messages.append((parts[0], parts[2].strip()))
    finally:
        os.close(fd)
        os.unlink(path)

"""A database of its own for a stand-alone bench script (`rebuild_scale`, `catch_up_scale`).

Created on the server of `BENCH_POSTGRES_URL` under a name no other run shares, handed to
Django through the environment, and dropped at the end whatever happened.
"""

import base64
import os
import secrets
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg


@contextmanager
def scratch_database(prefix: str, **environment: str) -> Iterator[str]:
    """Create `<prefix>_<random>`, point this process's settings at it (plus `environment`),
    yield its name, drop it. Its data keys are wrapped by a master key made for it, unless
    `DATA_KEY_MASTER` is set."""
    server = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432").rstrip("/")
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    os.environ.update(
        DATABASE_URL=f"{server}/{name}",
        READ_DATABASE_URL="",
        READ_REPLICA_URLS="",
        SECRET_KEY=os.environ.get("SECRET_KEY", "bench-only"),
        DATA_KEY_MASTER=os.environ.get("DATA_KEY_MASTER") or base64.b64encode(secrets.token_bytes(32)).decode(),
        DJANGO_SETTINGS_MODULE="config.settings",
        **environment,
    )
    try:
        yield name
    finally:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

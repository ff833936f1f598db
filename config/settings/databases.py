"""Databases (DATABASE_URL; the read database and its replicas, docs/read-database.md) and the cache."""

import os

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.settings.base import VAR_DIR, env_list


def database_settings(url: str, test_name: str | None) -> dj_database_url.DBConfig:
    """One `DATABASES` entry from a URL (dj-database-url), with SQLite tuned for two writing processes."""
    config = dj_database_url.parse(url, conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")), conn_health_checks=True)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # The web process and the worker both write: WAL lets readers run beside the writer,
        # IMMEDIATE takes the write lock up front instead of failing on upgrade.
        config["CONN_MAX_AGE"] = 0
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    elif config["ENGINE"] == "django.db.backends.postgresql":
        # The event store's hot statements (append, position) are prepared once per
        # connection; Django's own queries bind on the client and are never prepared.
        # Empty turns preparing off, for a pooler in transaction mode that cannot keep them.
        threshold = os.environ.get("DATABASE_PREPARE_THRESHOLD", "1")
        config.setdefault("OPTIONS", {})["prepare_threshold"] = int(threshold) if threshold else None
    config["TEST"] = {"NAME": test_name}
    return config


# Database: DATABASE_URL, or the embedded SQLite file.
_TEST_DATABASE_NAME = os.environ.get("TEST_DATABASE_NAME") or None
DATABASES = {
    "default": database_settings(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"), _TEST_DATABASE_NAME
    )
}
# A separate read database (docs/read-database.md): the read models and the
# subscribers' checkpoints live there, the event store and everything else in `default`.
if os.environ.get("READ_DATABASE_URL"):
    DATABASES["read"] = database_settings(
        os.environ["READ_DATABASE_URL"], _TEST_DATABASE_NAME and f"{_TEST_DATABASE_NAME}_read"
    )
    DATABASE_ROUTERS = ["eventstore.routers.ReadDatabaseRouter"]
# Hot standbys of the read database that serve the query API (docs/read-database.md): aliases
# `read_replica_1`, `read_replica_2`, ...; projections and checkpoints still write to `read`.
# Under test each one mirrors the read database's test database (the standby replicates it).
READ_REPLICA_ALIASES: list[str] = []
for _number, _url in enumerate(env_list("READ_REPLICA_URLS", ""), start=1):
    if "read" not in DATABASES:
        raise ImproperlyConfigured(
            "READ_REPLICA_URLS names replicas of the read database, but READ_DATABASE_URL is not set. "
            "Set READ_DATABASE_URL to the replicas' primary, or unset READ_REPLICA_URLS."
        )
    _replica = database_settings(_url, None)
    if _replica["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured(f"READ_REPLICA_URLS: {_url.split('@')[-1]!r} is not a PostgreSQL URL.")
    # A replica that does not answer is skipped quickly rather than holding a request.
    _timeout = int(os.environ.get("READ_REPLICA_CONNECT_TIMEOUT", "2"))
    _replica.setdefault("OPTIONS", {}).setdefault("connect_timeout", _timeout)
    _replica["TEST"] = {"MIRROR": "read"}
    DATABASES[f"read_replica_{_number}"] = _replica
    READ_REPLICA_ALIASES.append(f"read_replica_{_number}")
# ?min_position= on a replica that is behind: wait this long for it, then ask the read primary.
READ_REPLICA_WAIT_SECONDS = float(os.environ.get("READ_REPLICA_WAIT_SECONDS", "0.2"))
# A replica that failed to answer is left alone this long before it is tried again.
READ_REPLICA_RETRY_SECONDS = float(os.environ.get("READ_REPLICA_RETRY_SECONDS", "5"))
# The apps whose models are read models (the router sends them to the read database).
READ_DATABASE_APPS = ["queries_app"]

# The cache holds the throttles' counts, so every process of the service must share it:
# Redis when CACHE_URL is set (or the broker is Redis, as in production), else local memory
# (one web process, as with `make run`). The key prefix keeps a tenant's or a test run's keys apart.
_broker_url = os.environ.get("CELERY_BROKER_URL", "")
CACHE_URL = os.environ.get("CACHE_URL") or (_broker_url if _broker_url.startswith(("redis://", "rediss://")) else "")
if CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX") or os.environ.get("CELERY_KEY_PREFIX") or "cqrs",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

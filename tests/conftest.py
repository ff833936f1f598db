"""Shared fixtures: API clients, a real Celery worker process, Redis keys cleaned up afterwards."""

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection, connections
from django.test import Client
from django.test.utils import setup_databases, teardown_databases
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from config.celery import app as celery_app
from eventstore import replicas
from eventstore.subscriptions import registered_subscribers
from tests.factories import CommandSenderFactory, StaffUserFactory, UserFactory
from tests.subscribers import Recorder

REPO_ROOT = Path(__file__).resolve().parent.parent


def uses_redis() -> bool:
    return str(celery_app.conf.broker_url or "").startswith("redis")


@pytest.fixture(scope="session", autouse=True)
def redis_key_prefix():
    """Every Redis key of this run carries one prefix; all of them are deleted at the end."""
    if not uses_redis():
        yield None
        return
    prefix = f"cqrs-test-{uuid.uuid4().hex[:10]}:"
    celery_app.conf.broker_transport_options = {"global_keyprefix": prefix}
    os.environ["CELERY_KEY_PREFIX"] = prefix
    if "KEY_PREFIX" in django_settings.CACHES["default"]:  # the Redis cache (throttle counts), before its first use
        django_settings.CACHES["default"]["KEY_PREFIX"] = prefix
    yield prefix
    client = redis.Redis.from_url(celery_app.conf.broker_url)
    for key in client.scan_iter(match=f"{prefix}*", count=1000):
        client.delete(key)
    client.close()


def wait_until(condition, timeout: float = 20.0, interval: float = 0.05, message: str = "condition"):
    """Poll `condition` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}")


def database_url(settings_dict: dict) -> str:
    user = quote(settings_dict.get("USER") or "")
    password = settings_dict.get("PASSWORD")
    auth = f"{user}:{quote(password)}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or "5432"
    return f"postgres://{auth}{host}:{port}/{settings_dict['NAME']}"


def worker_env(**overrides: str) -> dict[str, str]:
    """The environment of a worker process on the test database(s) (call with database access)."""
    read_database = (
        {"READ_DATABASE_URL": database_url(connections["read"].settings_dict)} if "read" in connections else {}
    )
    return {
        **os.environ,
        "DATABASE_URL": database_url(connection.settings_dict),
        **read_database,
        # Processes started by tests query the read primary, as tests do (queries_on_the_read_primary).
        "READ_REPLICA_URLS": "",
        "CELERY_KEY_PREFIX": os.environ.get("CELERY_KEY_PREFIX", ""),
        "EVENTSTORE_SWEEP_SECONDS": "1",
        "EVENTSTORE_BATCH_SIZE": "50",
        **overrides,
    }


@contextmanager
def running_worker(workdir: Path, **env_overrides: str) -> Iterator[subprocess.Popen]:
    """A real `celery worker --beat` process (its own session, so it can be killed whole)."""
    log_path = workdir / f"worker-{uuid.uuid4().hex[:6]}.log"
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--beat", "--loglevel=info",
               "--concurrency=2", "--without-gossip", "--without-mingle", "-n", f"test-{uuid.uuid4().hex[:6]}@%h",
               "--schedule", str(workdir / f"beat-{uuid.uuid4().hex[:6]}")]  # fmt: skip
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            command, env=worker_env(**env_overrides), cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    process.log_path = log_path  # type: ignore[attr-defined]  # for the fixtures that read the log
    try:
        wait_until(lambda: " ready." in log_path.read_text() or process.poll() is not None, 60, 0.2, "worker start")
        if process.poll() is not None:
            pytest.fail(f"the Celery worker exited at start:\n{log_path.read_text()}")
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@pytest.fixture(scope="module")
def live_db(request, django_db_setup, django_db_blocker):
    """Database access with autocommit for a whole module, so worker processes see every write.

    Rows are not rolled back per test; the database is flushed when the module ends.
    """
    if connection.vendor != "postgresql" or not uses_redis():
        pytest.skip("needs PostgreSQL and Redis (set DATABASE_URL and CELERY_BROKER_URL, as `make test` does)")
    with django_db_blocker.unblock():
        # pytest-django creates the test database only when some collected test is marked
        # `django_db`; when only live modules run, create it here.
        created = database_created_by_pytest_django(request.session.items)
        own_setup = None if created else setup_databases(verbosity=0, interactive=False, aliases=set(connections))
        try:
            yield
        finally:
            for alias in writable_aliases():
                call_command("flush", interactive=False, verbosity=0, database=alias)
            if own_setup is not None:
                teardown_databases(own_setup, verbosity=0)
            connections.close_all()


def writable_aliases() -> list[str]:
    """Every database but the read replicas (hot standbys: they follow the read primary, read-only)."""
    return [alias for alias in connections if not connections.settings[alias].get("TEST", {}).get("MIRROR")]


@pytest.fixture(autouse=True)
def queries_on_the_read_primary(request, settings, monkeypatch):
    """Queries read the read primary, except in tests marked `read_replicas`.

    A replica is a copy that may be milliseconds behind: a test that waits for a checkpoint on
    the primary and then queries without `?min_position=` would be flaky on one. Such tests
    are about other things; tests/queries_app/test_read_replicas.py is about replicas.
    """
    if settings.READ_REPLICA_ALIASES and request.node.get_closest_marker("read_replicas") is None:
        monkeypatch.setattr(replicas, "replicas_in_turn", list)  # /healthz and /metrics still see them


def database_created_by_pytest_django(items: list[pytest.Item]) -> bool:
    return any(
        item.get_closest_marker("django_db") or {"db", "transactional_db"} & set(getattr(item, "fixturenames", ()))
        for item in items
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """With a separate read database, every test that uses a database may use both.

    Read models and checkpoints live in `read`, events and users in `default`; pytest-django
    allows only `default` unless a test says otherwise, so say it here once.
    """
    if len(connections.settings) == 1:
        return
    for item in items:
        marker = item.get_closest_marker("django_db")
        if marker is None and not {"db", "transactional_db"} & set(getattr(item, "fixturenames", ())):
            continue
        args, kwargs = (marker.args, marker.kwargs) if marker else ((), {})
        item.add_marker(pytest.mark.django_db(*args, **{"databases": "__all__", **kwargs}), append=False)


@pytest.fixture(autouse=True)
def events_numbered_at_once(request):
    """A test inside one transaction (pytest-django's `db`) never commits, so the log's
    commit-time numbering (`eventstore.store`) would never run: number each insert at once.

    The numbering itself (its lock, its order) is the same; only its moment moves. Tests
    with `transaction=True` (the concurrency suites) keep the production behaviour.
    """
    marker = request.node.get_closest_marker("django_db")
    transactional = "transactional_db" in request.fixturenames or (marker and marker.kwargs.get("transaction"))
    if transactional or not (marker or "db" in request.fixturenames):
        yield
        return
    request.getfixturevalue("db")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS eventstore_event_numbering IMMEDIATE")
    yield


@pytest.fixture(scope="module")
def live_worker(live_db, redis_key_prefix, tmp_path_factory):
    """A worker process for one module (one sweeping in the background would race other suites' flushes)."""
    with running_worker(tmp_path_factory.mktemp("worker")) as process:
        yield process


@pytest.fixture(scope="module")
def live_api(live_worker) -> APIClient:
    """A token-authenticated client whose writes commit at once (for tests with `live_worker`)."""
    user = CommandSenderFactory.create(username=f"live-{uuid.uuid4().hex[:6]}")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Hashing with PBKDF2 costs ~0.25 s per user; tests don't need it to be slow.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def user(db):
    """A user who may send commands (most tests do)."""
    return CommandSenderFactory()


@pytest.fixture
def reader(db):
    """A logged-in user without `commands_app.send_commands`: may read, may not send commands."""
    return UserFactory()


@pytest.fixture
def staff_user(db):
    return StaffUserFactory(username="staff")


@pytest.fixture
def staff_client(staff_user) -> Client:
    """A browser session logged in as a staff superuser (for admin pages)."""
    client = Client()
    client.force_login(staff_user)
    return client


def token_client(user) -> APIClient:
    """An API client authenticated as `user` with a DRF token, as a real client would be."""
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def api(user) -> APIClient:
    """A token-authenticated client of a user who may send commands."""
    return token_client(user)


@pytest.fixture
def reader_api(reader) -> APIClient:
    """A token-authenticated client of a user who may only read."""
    return token_client(reader)


@pytest.fixture
def recorder(settings):
    """Adds the test `Recorder` subscriber beside the real projections."""
    settings.EVENTSTORE_SUBSCRIBERS = [*settings.EVENTSTORE_SUBSCRIBERS, "tests.subscribers.Recorder"]
    settings.EVENTSTORE_RETRY_BACKOFF_SECONDS = 0.01
    registered_subscribers.cache_clear()
    Recorder.clear()
    yield Recorder
    registered_subscribers.cache_clear()

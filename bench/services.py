"""The outside world: PostgreSQL and Redis (checked, never started), and the processes we start.

Like the test suite, the harness uses the servers that are there and says which one is
missing. It creates its own databases and Redis keys and removes them at the end.
"""

import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
import redis
from psycopg import sql

from bench.config import BenchConfig

REPO_ROOT = Path(__file__).resolve().parent.parent


class ServiceMissing(RuntimeError):
    """PostgreSQL or Redis is not reachable; the message says which and where."""


def preflight(config: BenchConfig) -> None:
    problems = []
    try:
        psycopg.connect(f"{config.pg_url}/postgres", connect_timeout=3).close()
    except psycopg.Error as error:
        problems.append(f"PostgreSQL at {config.pg_url} is not reachable ({error}); set BENCH_POSTGRES_URL")
    try:
        redis.Redis.from_url(config.redis_url, socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        problems.append(f"Redis at {config.redis_url} is not reachable ({error}); set BENCH_REDIS_URL")
    if problems:
        raise ServiceMissing("; ".join(problems))


def create_databases(config: BenchConfig) -> None:
    with psycopg.connect(f"{config.pg_url}/postgres", autocommit=True) as conn:
        for name in config.databases:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_databases(config: BenchConfig) -> None:
    """Drop this run's databases (only names carrying this run's id, never cqrs/test_cqrs)."""
    with psycopg.connect(f"{config.pg_url}/postgres", autocommit=True) as conn:
        for name in config.databases:
            assert config.run_id in name
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def delete_redis_keys(config: BenchConfig) -> int:
    client = redis.Redis.from_url(config.redis_url)
    deleted = 0
    for key in client.scan_iter(match=f"{config.redis_prefix}*", count=1000):
        deleted += client.delete(key)
    client.close()
    return deleted


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# Every process of a run follows the log with the two projections only. The rows compare
# commands and projections with baselines that do the same work; the fulfilment saga is not
# part of any row, and on the dataset (whose skus are no products) it would cancel every order,
# writing as many events again and making row 2's add-item commands refused.
BENCH_SUBSCRIBERS = (
    "queries_app.projections.customer_view.CustomerViewProjection,"
    "queries_app.projections.order_summary.OrderSummaryProjection"
)


def service_env(config: BenchConfig, settings_module: str, phase: str) -> dict[str, str]:
    """The environment a production process gets: DEBUG off, a real key, PostgreSQL, Redis."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": settings_module,
        "DEBUG": "0",
        "SECRET_KEY": config.secret_key,
        "DATA_KEY_MASTER": config.data_key_master,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": config.db_url(config.db_ours),
        "CELERY_BROKER_URL": config.redis_url,
        "CELERY_KEY_PREFIX": config.phase_prefix(phase),
        # One user sends every request: throttled as in production (a cache round trip per
        # request, on both sides), at a rate no run reaches. Per second, so DRF's list of
        # recent request times stays short.
        "THROTTLE_COMMANDS_RATE": "100000/s",
        "THROTTLE_QUERIES_RATE": "100000/s",
        "PYTHONPATH": str(REPO_ROOT),
        "EVENTSTORE_SUBSCRIBERS": BENCH_SUBSCRIBERS,
    }


class Managed:
    """A child process we started, its log file, and a clean stop."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], log_dir: Path) -> None:
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        with open(self.log_path, "w") as log:
            self.process = subprocess.Popen(command, env=env, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT)

    def wait_for(self, ready: Callable[[], bool], timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited at start:\n{self.log_path.read_text()[-3000:]}")
            if ready():
                return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.name} did not become ready in {timeout}s:\n{self.log_path.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_gunicorn(config: BenchConfig, settings_module: str, name: str, log_dir: Path) -> tuple[Managed, int]:
    """gunicorn serving `config.wsgi` on loopback, plain HTTP, sync workers (its default)."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(config.gunicorn_workers),
    ]
    process = Managed(name, command, service_env(config, settings_module, "http"), log_dir)

    def listening() -> bool:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return True
        except OSError:
            return False

    process.wait_for(listening)
    return process, port


def setup_django_here(env: dict[str, str], log_file: Path) -> None:
    """Run Django in this process with `env` (from `service_env`), its log lines going to `log_file`,
    and the database migrated: the harness's own Django, as the service's processes have theirs."""
    os.environ.update({k: v for k, v in env.items() if k != "PYTHONPATH"})
    import django

    django.setup()
    root = logging.getLogger()  # the service logs a line per command: to the file, as a worker's
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.addHandler(logging.FileHandler(log_file))
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def start_worker(
    config: BenchConfig,
    settings_module: str,
    name: str,
    phase: str,
    log_dir: Path,
    queue: str | None = None,
    wait: bool = True,
    env: dict[str, str] | None = None,
) -> Managed:
    """`celery -A config worker` on this run's Redis prefix; with beat (as `make run` starts
    it) on the default queue, without beat when it serves a baseline's own queue. `env`
    replaces `service_env(config, settings_module, phase)` when given."""
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        "--loglevel=info",
        "--concurrency=2",
        "--without-gossip",
        "--without-mingle",
        "-n",
        f"{name}-{config.run_id}@%h",
    ]
    if queue:
        command += ["-Q", queue]
    else:
        command += ["--beat", "--schedule", str(log_dir / f"{name}-beat-schedule")]
    worker = Managed(name, command, service_env(config, settings_module, phase) if env is None else env, log_dir)
    if wait:
        wait_ready(worker)
    return worker


def wait_ready(worker: Managed) -> None:
    worker.wait_for(lambda: " ready." in worker.log_path.read_text(), timeout=90)

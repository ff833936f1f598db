"""A `make run`-style embedded server for tests: SQLite + filesystem broker + a real worker.

Started as `make run` starts it (migrate, then `celery worker --beat --concurrency=1`, then
`manage.py runserver`), in its own `VAR_DIR`, with none of the suite's PostgreSQL, Redis or
cache settings, so it is the default a newcomer gets from a fresh clone.
"""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# What the suite sets and `make run` on a fresh clone does not.
SUITE_ONLY = (
    "DATABASE_URL",
    "READ_DATABASE_URL",
    "CELERY_BROKER_URL",
    "CELERY_KEY_PREFIX",
    "CACHE_URL",
    "TEST_DATABASE_NAME",
    "DJANGO_SETTINGS_MODULE",
)


@dataclass
class EmbeddedServer:
    base_url: str
    port: int
    env: dict[str, str]
    var_dir: Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def embedded_env(var_dir: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in SUITE_ONLY}
    env.update(VAR_DIR=str(var_dir), DEBUG="1", PYTHONUNBUFFERED="1")
    env.pop("SECRET_KEY", None)  # DEBUG=1 needs none, as on `make run`
    return env


def wait_for_http(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except urllib.error.HTTPError:
            return  # any answer means it is listening
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def embedded_server(var_dir: Path) -> Iterator[EmbeddedServer]:
    var_dir.mkdir(parents=True, exist_ok=True)
    env = embedded_env(var_dir)
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env, check=True, capture_output=True)
    port = free_port()
    with open(var_dir / "worker.log", "wb") as worker_log, open(var_dir / "server.log", "wb") as server_log:
        worker = subprocess.Popen(
            [python, "-m", "celery", "-A", "config", "worker", "--beat", "--loglevel=info", "--concurrency=1"]
            + ["--schedule", str(var_dir / "celerybeat-schedule")],
            cwd=ROOT,
            env=env,
            stdout=worker_log,
            stderr=subprocess.STDOUT,
        )
        server = subprocess.Popen(
            [python, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=env,
            stdout=server_log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for_http(f"http://127.0.0.1:{port}/healthz")
            yield EmbeddedServer(base_url=f"http://127.0.0.1:{port}", port=port, env=env, var_dir=var_dir)
        finally:
            stop(server)
            stop(worker)

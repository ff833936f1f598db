"""docker-compose.yml, checked where Docker cannot run.

The file is validated against the compose specification (the schema `check-jsonschema` ships,
offline), and each app service's command runs here as compose would run it: its `command` and
its environment (`env_file: .env` made from `.env.example` as the README says, then
`environment`), with the compose host names mapped to this machine's PostgreSQL and Redis, a
fresh database, a free port and a temporary directory for `/app/var`. `migrate` must finish,
the worker and web must pass their own healthchecks, beat must keep running.
"""

import base64
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
import yaml

from tests.embedded import ROOT, free_port
from tests.processes import process

CHECK_JSONSCHEMA = Path(sys.executable).with_name("check-jsonschema")


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_reads_env_checks_postgres_over_tcp_and_web_by_healthz():
    services = compose()["services"]
    assert "-h 127.0.0.1" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])
    example = (ROOT / ".env.example").read_text()
    assert "SECRET_KEY=" in example and "ALLOWED_HOSTS=" in example
    assert ".env" in (ROOT / ".dockerignore").read_text().split()


def test_one_image_built_once_and_the_read_side_behind_profiles():
    services = compose()["services"]
    app = [name for name, service in services.items() if service.get("image") == "cqrs-service:latest"]
    assert set(app) == {"migrate", "web", "worker", "beat"}
    assert [name for name, service in services.items() if "build" in service] == ["web"]
    assert all(services[name]["env_file"] == [".env"] for name in app)
    assert services["read-db"]["profiles"] == ["read-db", "read-replica"]
    assert services["read-replica"]["profiles"] == ["read-replica"]
    assert "pg_basebackup" in " ".join(services["read-replica"]["command"])
    assert "requirements.txt" in (ROOT / "Dockerfile").read_text()
    assert "requirements-test" not in (ROOT / "Dockerfile").read_text()


def test_the_compose_file_is_valid_against_the_compose_specification(tmp_path):
    def check(path: Path) -> subprocess.CompletedProcess:
        command = [str(CHECK_JSONSCHEMA), "--builtin-schema", "vendor.compose-spec", str(path)]
        return subprocess.run(command, capture_output=True, text=True, timeout=60)

    checked = check(ROOT / "docker-compose.yml")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # The check can fail: a misspelt key is refused.
    broken = tmp_path / "docker-compose.yml"
    broken.write_text((ROOT / "docker-compose.yml").read_text().replace("healthcheck:", "helthcheck:", 1))
    assert check(broken).returncode == 1


# --- each service's command, outside Docker ---------------------------------------------


def interpolate(value: str, variables: dict[str, str]) -> str:
    """Compose's interpolation: `$$` is a `$`, `${NAME}`, `${NAME:-default}`, `${NAME:?error}`."""

    def one(found: re.Match) -> str:
        if found.group(0) == "$$":
            return "$"
        name, op, rest = found.group(1), found.group(2), found.group(3) or ""
        value = variables.get(name, "")
        if op == ":?" and not value:
            raise AssertionError(f"compose would refuse: {rest}")
        return value or (rest if op == ":-" else "")

    return re.sub(r"\$\$|\$\{(\w+)(?:(:-|:\?)([^}]*))?\}", one, value)


def env_file(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if line and not line.startswith("#"))
    return dict(pairs)


@contextmanager
def fresh_database(server_url: str, name: str) -> Iterator[str]:
    parts = urlsplit(server_url)
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def healthcheck(test: list[str], env: dict[str, str], port: int, timeout: float = 90) -> None:
    """Compose's healthcheck: CMD runs as given, CMD-SHELL through `sh -c`; retried until it passes."""
    kind, *rest = [interpolate(part, env).replace("127.0.0.1:8000", f"127.0.0.1:{port}") for part in test]
    command = rest if kind == "CMD" else ["sh", "-c", rest[0]]
    deadline = time.monotonic() + timeout
    while True:
        ran = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
        if ran.returncode == 0:
            return
        assert time.monotonic() < deadline, f"{test} never passed: {ran.stdout}{ran.stderr}"
        time.sleep(1)


def service_env(service: dict, hosts: dict[str, str], var_dir: Path, port: int) -> dict[str, str]:
    """What the service's container would see, with compose's host names replaced by this machine's."""
    from_files = {}
    for name in service["env_file"]:
        assert name == ".env"
        from_files.update(env_file(var_dir.parent / ".env"))
    environment = {**from_files, **{k: interpolate(str(v), from_files) for k, v in service["environment"].items()}}
    for key, value in environment.items():
        for compose_address, here in hosts.items():
            value = value.replace(compose_address, here)
        environment[key] = value
    bin_dir = str(Path(sys.executable).parent)
    return {
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "HOME": os.environ.get("HOME", "/root"),
        "HOSTNAME": socket.gethostname(),  # what a container's healthcheck sees as $HOSTNAME
        "VAR_DIR": str(var_dir),  # /app/var in the image
        "GUNICORN_BIND": f"127.0.0.1:{port}",  # the image binds 0.0.0.0:8000
        "WEB_CONCURRENCY": "2",
        # The suite's Redis keys carry one prefix (tests/conftest.py) and are deleted at the end.
        "CELERY_KEY_PREFIX": os.environ.get("CELERY_KEY_PREFIX", ""),
        **environment,
    }


def command_of(service: dict, var_dir: Path) -> list[str]:
    return [interpolate(part, {}).replace("/app/var", str(var_dir)) for part in service["command"]]


def suite_url(name: str) -> str | None:
    return os.environ.get(name) or None


def run_the_stack(tmp_path: Path, read_side: bool) -> None:
    services = compose()["services"]
    (tmp_path / "var").mkdir()
    var_dir = tmp_path / "var"
    # As the README says: cp .env.example .env, then set the two keys.
    dot_env = (ROOT / ".env.example").read_text()
    dot_env = dot_env.replace("SECRET_KEY=\n", f"SECRET_KEY={secrets.token_hex(32)}\n")
    dot_env = dot_env.replace("DATA_KEY_MASTER=\n", f"DATA_KEY_MASTER={base64.b64encode(os.urandom(32)).decode()}\n")
    dot_env = dot_env.replace("HEALTHZ_TOKEN=\n", "HEALTHZ_TOKEN=compose-test\n")
    if read_side:  # the three optional lines, uncommented
        dot_env = re.sub(r"^#(COMPOSE_PROFILES|READ_DATABASE_URL|READ_REPLICA_URLS)=", r"\1=", dot_env, flags=re.M)
        dot_env = dot_env.replace("COMPOSE_PROFILES=read-db", "COMPOSE_PROFILES=read-replica")
    (tmp_path / ".env").write_text(dot_env)

    database = urlsplit(suite_url("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/cqrs")
    broker = suite_url("CELERY_BROKER_URL") or "redis://127.0.0.1:6379/0"
    name = f"{os.environ.get('TEST_DATABASE_NAME') or 'test_cqrs'}_compose_{uuid.uuid4().hex[:6]}"
    port = free_port()
    hosts = {
        "postgres:postgres@postgres:5432/cqrs": f"{database.netloc}/{name}",
        "redis://redis:6379/0": broker,
    }
    with ExitStack() as stack:
        stack.enter_context(fresh_database(database.geturl(), name))
        if read_side:
            read, replica = urlsplit(os.environ["READ_DATABASE_URL"]), urlsplit(os.environ["READ_REPLICA_URLS"])
            stack.enter_context(fresh_database(read.geturl(), f"{name}_read"))  # the standby replicates it
            hosts["postgres:postgres@read-db:5432/cqrs_read"] = f"{read.netloc}/{name}_read"
            hosts["postgres:postgres@read-replica:5432/cqrs_read"] = f"{replica.netloc}/{name}_read"

        env = {key: service_env(services[key], hosts, var_dir, port) for key in ("migrate", "web", "worker", "beat")}
        assert all(
            host not in value for e in env.values() for value in e.values() for host in ("@postgres:", "redis:6")
        )
        migrate = subprocess.run(
            command_of(services["migrate"], var_dir), cwd=ROOT, env=env["migrate"], capture_output=True, text=True
        )
        assert migrate.returncode == 0, migrate.stdout + migrate.stderr
        assert (var_dir / "static").is_dir()
        if read_side:
            assert "Running migrations" in migrate.stdout.split("migrate --noinput --database read")[-1]

        processes = {
            key: stack.enter_context(
                process(command_of(services[key], var_dir), tmp_path / f"{key}.log", cwd=ROOT, env=env[key])
            )
            for key in ("worker", "beat", "web")
        }
        healthcheck(services["worker"]["healthcheck"]["test"], env["worker"], port)
        healthcheck(services["web"]["healthcheck"]["test"], env["web"], port)
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/healthz", headers={"Authorization": "Bearer compose-test"}
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            report = yaml.safe_load(answer.read())  # JSON is YAML
        assert report["status"] == "ok", report
        if read_side:
            assert report["checks"]["replicas"]["replicas"]["read_replica_1"]["up"], report
        for key, child in processes.items():
            assert child.poll() is None, f"{key} exited:\n{(tmp_path / f'{key}.log').read_text()}"


@pytest.mark.worker
def test_each_service_command_runs_with_the_compose_environment(tmp_path):
    run_the_stack(tmp_path, read_side=False)


@pytest.mark.worker
@pytest.mark.integration
def test_the_read_replica_profile_runs_with_the_read_database_and_its_standby(tmp_path):
    if not (os.environ.get("READ_DATABASE_URL") and os.environ.get("READ_REPLICA_URLS")):
        pytest.skip("needs READ_DATABASE_URL and READ_REPLICA_URLS (make test's second pass: the replica pair)")
    run_the_stack(tmp_path, read_side=True)

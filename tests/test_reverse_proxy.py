"""The production front: Debian's nginx with `deploy/nginx/cqrs.conf` before gunicorn with `gunicorn.conf.py`.

Found: six clients that each promise `Content-Length: 1000` and send a byte now and then held
every sync worker (compose exposed gunicorn directly), and `/healthz` stalled with them. Here
the real config files run as real processes on the test database: the same slow clients (and
oversized bodies) are first sent straight to gunicorn, where they stall it, then through nginx,
where `/healthz` still answers within a second. The same gunicorn shows that `/metrics`
totals add up over its workers without anyone setting `PROMETHEUS_MULTIPROC_DIR`.

nginx comes from Debian (`make install` runs `scripts/install-nginx.sh`). Without it the module
skips locally and fails under CI (CI=true), where it must be there.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest
import requests
from rest_framework.authtoken.models import Token

from tests.conftest import REPO_ROOT, wait_until, worker_env
from tests.factories import CommandSenderFactory
from tests.processes import process

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None)
if NGINX is None and os.environ.get("CI", "").lower() not in ("1", "true", "yes"):
    pytest.skip("no nginx (`make install` installs Debian's as root)", allow_module_level=True)

pytestmark = pytest.mark.integration

WORKERS = 2
SLOW_CLIENTS = 6


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def answers(url: str) -> bool:
    with suppress(requests.RequestException):
        return requests.get(url, timeout=1).status_code > 0
    return False


@pytest.fixture(scope="module")
def gunicorn(live_db, tmp_path_factory) -> Iterator[str]:
    """The project's gunicorn (gunicorn.conf.py, 2 sync workers) on the test database."""
    port = free_port()
    env = worker_env(
        GUNICORN_BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY=str(WORKERS),
        DEBUG="0",
        SECRET_KEY="test-only-secret",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        NUM_PROXIES="1",
        HEALTHZ_WORKER_TIMEOUT="0.2",  # no Celery worker runs here: /healthz is a quick 503
    )
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)  # gunicorn.conf.py must set it by itself
    log = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "config.wsgi"]
    with process(command, log, cwd=REPO_ROOT, env=env) as child:
        wait_until(lambda: answers(f"http://127.0.0.1:{port}/healthz") or child.poll() is not None, 30, 0.2, "gunicorn")
        assert child.poll() is None, log.read_text()
        yield f"127.0.0.1:{port}"


def nginx_conf(workdir: Path, upstream: str, port: int) -> Path:
    """deploy/nginx/cqrs.conf as it is, with this machine's upstream, port and static path, in a minimal nginx.conf."""
    site = (REPO_ROOT / "deploy/nginx/cqrs.conf").read_text()
    for compose_value, here in [
        ("server web:8000;", f"server {upstream};"),
        ("listen 80;", f"listen 127.0.0.1:{port};"),
        ("alias /srv/static/;", f"alias {workdir}/static/;"),
    ]:
        assert compose_value in site, compose_value
        site = site.replace(compose_value, here)
    (workdir / "cqrs.conf").write_text(site)
    (workdir / "static").mkdir()
    (workdir / "static/probe.txt").write_text("static")
    main = workdir / "nginx.conf"
    # As root, nginx's workers would run as `nobody`, who cannot read pytest's private temp folder.
    user = "user root;" if os.geteuid() == 0 else ""
    main.write_text(f"""
        {user}
        daemon off;
        worker_processes 1;
        pid {workdir}/nginx.pid;
        error_log {workdir}/error.log warn;
        events {{ worker_connections 256; }}
        http {{
            include /etc/nginx/mime.types;
            access_log off;
            client_body_temp_path {workdir}/body;
            proxy_temp_path {workdir}/proxy;
            fastcgi_temp_path {workdir}/fastcgi;
            uwsgi_temp_path {workdir}/uwsgi;
            scgi_temp_path {workdir}/scgi;
            include {workdir}/cqrs.conf;
        }}
    """)
    return main


@pytest.fixture(scope="module")
def nginx(gunicorn, tmp_path_factory) -> Iterator[str]:
    assert NGINX, "CI must have nginx: `make install` installs Debian's package"
    workdir = tmp_path_factory.mktemp("nginx")
    port = free_port()
    conf = nginx_conf(workdir, gunicorn, port)
    checked = subprocess.run([NGINX, "-t", "-c", str(conf), "-p", str(workdir)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    with process([NGINX, "-c", str(conf), "-p", str(workdir)], workdir / "nginx.log") as child:
        wait_until(lambda: answers(f"http://127.0.0.1:{port}/static/probe.txt") or child.poll() is not None, 10)
        assert child.poll() is None, (workdir / "error.log").read_text()
        yield f"127.0.0.1:{port}"


@contextmanager
def slow_clients(address: str, count: int, content_length: int) -> Iterator[list[socket.socket]]:
    """`count` clients that send a POST's headers promising `content_length` bytes, then a byte every 0.3 s."""
    host, port = address.split(":")
    stop = threading.Event()
    sockets = []
    for _ in range(count):
        client = socket.create_connection((host, int(port)), timeout=5)
        client.sendall(
            f"POST /api/commands/register-customer/ HTTP/1.1\r\nHost: {host}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {content_length}\r\n\r\n".encode()
        )
        sockets.append(client)

    def dribble() -> None:
        while not stop.wait(0.3):
            for client in sockets:
                with suppress(OSError):
                    client.send(b" ")

    sender = threading.Thread(target=dribble, daemon=True)
    sender.start()
    try:
        yield sockets
    finally:
        stop.set()
        sender.join()
        for client in sockets:
            client.close()


def healthz_seconds(address: str) -> float | None:
    """How long `/healthz` took to answer (JSON, 200 or 503), or None when it did not answer within 1 s."""
    started = time.perf_counter()
    try:
        response = requests.get(f"http://{address}/healthz", timeout=1)
    except requests.Timeout:
        return None
    assert response.status_code in (200, 503) and response.json()["status"] in ("ok", "failing")
    return time.perf_counter() - started


def test_slow_clients_stall_gunicorn_alone_but_not_behind_nginx(gunicorn, nginx):
    # Straight to gunicorn, the slow clients take both sync workers: /healthz gets no answer in 1 s.
    with slow_clients(gunicorn, SLOW_CLIENTS, 1000):
        time.sleep(0.3)
        assert healthz_seconds(gunicorn) is None
    wait_until(lambda: answers(f"http://{gunicorn}/healthz"), 40, 0.2, "gunicorn's workers to be free again")

    # Behind nginx, the same clients plus oversized bodies hold nginx connections only.
    with slow_clients(nginx, SLOW_CLIENTS, 1000), slow_clients(nginx, 4, 3_000_000) as oversized:
        time.sleep(0.3)
        for _ in range(3):
            took = healthz_seconds(nginx)
            assert took is not None and took < 1, took
        for client in oversized:  # refused from their Content-Length, before any byte of the body
            answer = client.recv(4096).decode()
            assert answer.startswith("HTTP/1.1 413"), answer
            assert '"detail": "The request body is larger than 65,536 bytes' in answer


def test_what_nginx_answers_itself_is_json(nginx):
    too_large = requests.post(f"http://{nginx}/api/commands/place-order/", data=b"x" * 70_000, timeout=5)
    assert too_large.status_code == 413 and "65,536 bytes" in too_large.json()["detail"]
    assert requests.get(f"http://{nginx}/static/probe.txt", timeout=5).text == "static"  # served by nginx itself


def scrape_total(address: str, command: str) -> float:
    text = requests.get(f"http://{address}/metrics", timeout=5).text
    pattern = rf'^cqrs_commands_total\{{command="{command}",outcome="ok"\}} ([0-9.e+]+)$'
    return sum(float(value) for value in re.findall(pattern, text, re.MULTILINE))


def test_metrics_add_up_over_every_worker_without_setting_the_multiprocess_directory(nginx, django_db_blocker):
    # Found: /metrics totals jumped between scrapes (each answered by another worker's registry)
    # unless the deployer remembered PROMETHEUS_MULTIPROC_DIR; gunicorn.conf.py now sets it.
    with django_db_blocker.unblock():
        token = Token.objects.create(user=CommandSenderFactory(username="proxy-metrics")).key
    session = requests.Session()
    session.headers["Authorization"] = f"Token {token}"
    for n in range(8):
        body = {"name": f"Ada {n}", "email": f"ada{n}@example.com"}
        response = session.post(f"http://{nginx}/api/commands/register-customer/", json=body, timeout=10)
        assert response.status_code == 200, response.text
    assert [scrape_total(nginx, "register-customer") for _ in range(6)] == [8.0] * 6


def test_with_no_gunicorn_behind_it_nginx_answers_503_json_with_an_error_id(tmp_path):
    assert NGINX, "CI must have nginx: `make install` installs Debian's package"
    port = free_port()
    conf = nginx_conf(tmp_path, f"127.0.0.1:{free_port()}", port)  # nothing listens upstream
    with process([NGINX, "-c", str(conf), "-p", str(tmp_path)], tmp_path / "nginx.log"):
        wait_until(lambda: answers(f"http://127.0.0.1:{port}/static/probe.txt"), 10)
        response = requests.get(f"http://127.0.0.1:{port}/api/orders/", timeout=5)
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    body = response.json()
    assert re.fullmatch("[0-9a-f]{32}", body["error_id"]) and body["error_id"] in body["detail"]

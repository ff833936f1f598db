"""Production settings: `check --deploy` is clean, no secret has a default, DEBUG is off unless asked for.

Each case runs Django in a fresh process with only the environment given, as a deployment would.
"""

import os
import secrets
import subprocess
import sys

import pytest

from tests.conftest import REPO_ROOT

PRODUCTION_ENV = {
    "DEBUG": "0",
    "ALLOWED_HOSTS": "api.example.com",
    "DATABASE_URL": "postgres://app@db.internal:5432/cqrs",
    "CELERY_BROKER_URL": "redis://redis.internal:6379/0",
    "SECURE_SSL_REDIRECT": "1",
    "SECURE_COOKIES": "1",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_PROXY_SSL_HEADER": "1",
    "DATA_KEY_MASTER": "dGVzdC1vbmx5LWRhdGEta2V5LW1hc3Rlci0zMmJ5dGU=",
}


def run_django(args: list[str], env: dict[str, str], tmp_path) -> subprocess.CompletedProcess:
    """`python <args>` with nothing of this process's Django environment but PATH (no DEBUG, no SECRET_KEY)."""
    clean = {"PATH": os.environ["PATH"], "VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "config.settings", **env}
    return subprocess.run(
        [sys.executable, *args], env=clean, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_reports_nothing_with_production_settings(tmp_path):
    env = {**PRODUCTION_ENV, "SECRET_KEY": secrets.token_urlsafe(50)}
    run = run_django(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env, tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "no issues" in run.stdout


def test_check_deploy_fails_on_a_weak_secret(tmp_path):
    # The same check, shown able to fail: a short key is a warning, and warnings fail the deploy.
    env = {**PRODUCTION_ENV, "SECRET_KEY": "short"}
    run = run_django(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env, tmp_path)
    assert run.returncode != 0
    assert "security.W009" in run.stderr + run.stdout


@pytest.mark.parametrize("debug", [None, "0", ""])
def test_without_secret_key_the_service_refuses_to_start_unless_debug(tmp_path, debug):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "DEBUG"}
    if debug is not None:
        env["DEBUG"] = debug
    for command in (["check"], ["makemigrations", "--check", "--dry-run"]):
        run = run_django(["manage.py", *command], env, tmp_path)
        assert run.returncode != 0
        assert "SECRET_KEY is not set" in run.stderr
        assert "AppRegistryNotReady" not in run.stderr  # the cause, not Django's mask over it


PRINT_SETTINGS = "import django; django.setup(); from django.conf import settings as s; print(s.DEBUG, s.SECRET_KEY)"


def test_debug_is_off_unless_asked_for(tmp_path):
    key = secrets.token_urlsafe(50)
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "DEBUG"}
    assert run_django(["-c", PRINT_SETTINGS], {**env, "SECRET_KEY": key}, tmp_path).stdout.split() == ["False", key]
    local = run_django(["-c", PRINT_SETTINGS], {"DEBUG": "1"}, tmp_path).stdout.split()
    assert local[0] == "True"  # local development: the fixed insecure key is allowed only here


def test_without_a_master_key_the_service_refuses_to_start(tmp_path):
    # Never a silent fallback to plain text: personal data has no key to be sealed with.
    env = {
        **{k: v for k, v in PRODUCTION_ENV.items() if k != "DATA_KEY_MASTER"},
        "SECRET_KEY": secrets.token_urlsafe(50),
    }
    run = run_django(["manage.py", "check"], env, tmp_path)
    assert run.returncode != 0
    assert "DATA_KEY_MASTER is not set" in run.stderr


@pytest.mark.parametrize("master", ["short", "not base64 at all!", "c2hvcnQ="])
def test_a_malformed_master_key_is_refused_at_start(tmp_path, master):
    env = {**PRODUCTION_ENV, "SECRET_KEY": secrets.token_urlsafe(50), "DATA_KEY_MASTER": master}
    run = run_django(["manage.py", "check"], env, tmp_path)
    assert run.returncode != 0
    assert "DATA_KEY_MASTER must be 32 random bytes in base64" in run.stderr


def test_debug_keeps_a_local_master_key_under_var(tmp_path):
    script = "import django; django.setup(); from django.conf import settings as s; print(s.DATA_KEY_MASTER)"
    first = run_django(["-c", script], {"DEBUG": "1"}, tmp_path).stdout.strip()
    assert first == (tmp_path / "data-key-master").read_text().strip()
    assert run_django(["-c", script], {"DEBUG": "1"}, tmp_path).stdout.strip() == first  # made once, then kept


def test_an_empty_environment_names_what_is_missing(tmp_path):
    # Nothing set at all (a clean clone, a CI step): the settings' own message, not Django's
    # "AppRegistryNotReady: Models aren't loaded yet", which hides it.
    run = run_django(["manage.py", "makemigrations", "--check", "--dry-run"], {}, tmp_path)
    assert run.returncode != 0
    assert "SECRET_KEY is not set" in run.stderr
    assert "AppRegistryNotReady" not in run.stderr

"""Importing the settings writes nothing; starting Django makes what a local run needs under VAR_DIR.

Each case runs in a fresh process with only the environment given (the defaults of `make run`:
DEBUG, no DATABASE_URL, no CELERY_BROKER_URL, no DATA_KEY_MASTER), on an empty VAR_DIR.
"""

import os
import subprocess
import sys

from tests.conftest import REPO_ROOT


def run_python(args: list[str], var_dir) -> subprocess.CompletedProcess:
    env = {"PATH": os.environ["PATH"], "VAR_DIR": str(var_dir), "DEBUG": "1"}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    return subprocess.run([sys.executable, *args], env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)


def test_importing_the_settings_creates_nothing(tmp_path):
    var_dir = tmp_path / "var"
    var_dir.mkdir()
    script = "import config.settings as s; print(s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL)"
    run = run_python(["-c", script], var_dir)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["django.db.backends.sqlite3", "filesystem://"]  # the local defaults are in force
    assert list(var_dir.iterdir()) == []


def test_bench_settings_import_creates_nothing_either(tmp_path):
    var_dir = tmp_path / "var"
    var_dir.mkdir()
    run = run_python(["-c", "import bench.settings"], var_dir)
    assert run.returncode == 0, run.stderr
    assert list(var_dir.iterdir()) == []


def test_starting_django_makes_what_sqlite_the_broker_and_static_files_need(tmp_path):
    var_dir = tmp_path / "var"  # not even the directory itself exists
    run = run_python(["manage.py", "check"], var_dir)
    assert run.returncode == 0, run.stdout + run.stderr
    assert {path.name for path in var_dir.iterdir()} == {"broker", "static", "data-key-master"}
    key = (var_dir / "data-key-master").read_text().strip()
    assert (var_dir / "data-key-master").stat().st_mode & 0o077 == 0  # the key is the owner's only
    # The database file can be made where the settings point: a migrate on the same VAR_DIR works.
    run = run_python(["manage.py", "migrate", "--noinput", "-v", "0"], var_dir)
    assert run.returncode == 0, run.stdout + run.stderr
    assert (var_dir / "db.sqlite3").exists()
    assert (var_dir / "data-key-master").read_text().strip() == key  # made once, then kept

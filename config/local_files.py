"""The directories and files a local run keeps under `var/`, made when Django starts, not when settings load.

Importing the settings writes nothing (a linter, a type checker or a test that only reads them
leaves no `var/` behind). `config.apps.ConfigAppConfig.ready` calls `prepare_local_files` once
the settings are final, in every process that sets Django up: `manage.py`, gunicorn
(`config.wsgi`), `config.asgi`, the Celery worker (its Django fix-up runs `django.setup()`),
pytest-django and a script's own `django.setup()`.
"""

import base64
import os
from pathlib import Path
from typing import Any


def local_data_key_master(path: Path) -> str:
    """DEBUG only: the master key of this checkout, made once under var/ (never for production)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written whole under a name of this process, then linked into place: a process starting
        # at the same moment sees no file or the whole key, never an empty one.
        draft = path.with_name(f".{path.name}.{os.getpid()}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as file:
            file.write(base64.b64encode(os.urandom(32)).decode())
        try:
            os.link(draft, path)
        except FileExistsError:
            pass  # another process made it first: use theirs
        finally:
            draft.unlink()
    return path.read_text().strip()


def sqlite_directories(databases: dict[str, dict[str, Any]]) -> list[Path]:
    """The directories that must exist for each SQLite database file to be created in."""
    return [
        Path(config["NAME"]).parent
        for config in databases.values()
        if config.get("ENGINE") == "django.db.backends.sqlite3" and str(config.get("NAME", ":memory:")) != ":memory:"
    ]


def broker_directories(broker_url: str, options: dict[str, Any]) -> list[Path]:
    """kombu's `filesystem://` transport reads and writes these folders; it does not make them."""
    if not broker_url.startswith("filesystem://"):
        return []
    keys = ("data_folder_in", "data_folder_out", "processed_folder")
    return [Path(options[key]) for key in keys if options.get(key)]


def prepare_local_files(settings: Any) -> None:
    """Make what the settings point at: SQLite's directory, STATIC_ROOT, the filesystem broker, DEBUG's key."""
    directories = [
        *sqlite_directories(settings.DATABASES),
        # WhiteNoise warns on every request when STATIC_ROOT does not exist.
        Path(settings.STATIC_ROOT),
        *broker_directories(settings.CELERY_BROKER_URL, settings.CELERY_BROKER_TRANSPORT_OPTIONS),
    ]
    for directory in directories:
        directory.mkdir(parents=True, exist_ok=True)
    # DEBUG without DATA_KEY_MASTER: the key in var/, made on first start (the settings read it when it exists).
    key_file = getattr(settings, "DATA_KEY_MASTER_LOCAL_FILE", None)
    if key_file is not None and not settings.DATA_KEY_MASTER:
        settings.DATA_KEY_MASTER = local_data_key_master(Path(key_file))

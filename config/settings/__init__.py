"""Settings, driven by environment variables with safe local defaults; one module per concern.

With no variables set the service runs on an embedded default: a SQLite file and kombu's
`filesystem://` broker, both under `var/`. PostgreSQL + Redis is the production and CI setup:
set `DATABASE_URL` and `CELERY_BROKER_URL` (docs/settings.md lists every variable).

`DJANGO_SETTINGS_MODULE=config.settings` reads them all. Importing them writes nothing: the
directories and the DEBUG master key under `var/` are made when Django starts
(`config.local_files`). A module that reads another's setting imports it by name, so the order
of the lines below does not matter.
"""

from config.settings.api import *  # noqa: F403  DRF, the OpenAPI document, /healthz, /metrics
from config.settings.base import *  # noqa: F403  paths, DEBUG, SECRET_KEY
from config.settings.broker import *  # noqa: F403  Celery, its broker, the beat schedule
from config.settings.commands import *  # noqa: F403  the command bus
from config.settings.core import *  # noqa: F403  Django's apps, middleware, templates, static files, logging
from config.settings.databases import *  # noqa: F403  databases, read replicas, the cache
from config.settings.event_store import *  # noqa: F403  subscribers, snapshots, upcasters
from config.settings.personal_data import *  # noqa: F403  the master key, email reservations
from config.settings.security import *  # noqa: F403  hosts, TLS, login lockout, CSP, request limits

"""Settings for the baselines' Django side: the service's settings plus the plain-CRUD app.

Only the baseline gunicorn, the bare-Celery worker and the harness's own process use
this module. Our side runs on `config.settings` untouched, so it is exactly what users get.
"""

from config.settings import *  # noqa: F403
from config.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "bench.baselines.crud"]
ROOT_URLCONF = "bench.urls"

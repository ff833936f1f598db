"""Celery and its broker: the broker carries wake-up calls only; the event table is the source of truth."""

import os
from datetime import timedelta
from typing import Any

from config.settings.base import VAR_DIR

CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, Any] = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT = "config.filesystem_broker:Transport"  # messages written whole, then renamed
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(_broker_dir),
        # Fanout exchanges (worker control, `celery inspect`) default to ./control in the cwd.
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
        # kombu polls the folder once a second by default, and a saga's chain is several
        # tasks in a row: 3-9 s before an order was confirmed. 50 ms costs a few stat calls.
        "polling_interval": float(os.environ.get("FILESYSTEM_BROKER_POLL_SECONDS", "0.05")),
    }
elif os.environ.get("CELERY_KEY_PREFIX"):
    # Lets a test run (or a tenant) keep its Redis keys apart and delete them afterwards.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"global_keyprefix": os.environ["CELERY_KEY_PREFIX"]}
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A command must not hang on a dead broker: publish fails fast, the sweep catches up.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
EVENTSTORE_SWEEP_SECONDS = float(os.environ.get("EVENTSTORE_SWEEP_SECONDS", "5"))
# Every periodic task, in one place (`make run`'s worker runs beat; production runs one beat).
CELERY_BEAT_SCHEDULE = {
    # Catches up any subscriber whose wake-up call was lost (a dead broker, a crashed worker).
    "sweep-subscribers": {
        "task": "eventstore.tasks.sweep_subscribers",
        "schedule": timedelta(seconds=EVENTSTORE_SWEEP_SECONDS),
    },
    # Forgets Idempotency-Keys older than COMMAND_IDEMPOTENCY_KEY_TTL_SECONDS.
    "purge-expired-idempotency-keys": {
        "task": "commands_app.purge_expired_idempotency_keys",
        "schedule": timedelta(hours=1),
    },
}
# The worker registers the purge task (it lives beside the idempotency code, not in a tasks module).
CELERY_IMPORTS = ["commands_app.idempotency"]

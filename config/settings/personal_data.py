"""Personal data (docs/personal-data.md): the master key that wraps every subject's data key."""

import base64
import os

from django.core.exceptions import ImproperlyConfigured

from config.settings.base import DEBUG, SECRET_KEY, VAR_DIR, env_list


def checked_master_key(name: str, value: str) -> str:
    try:
        ok = len(base64.b64decode(value, validate=True)) == 32
    except ValueError:
        ok = False
    if not ok:
        raise ImproperlyConfigured(
            f"{name} must be 32 random bytes in base64 (44 characters), e.g. the output of "
            "`python -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())'`."
        )
    return value


# The master key that wraps every subject's data key. Production refuses to start without it:
# personal fields are never written in plain text. DEBUG keeps a local one in var/.
DATA_KEY_MASTER = os.environ.get("DATA_KEY_MASTER", "").strip()
if not DATA_KEY_MASTER:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DATA_KEY_MASTER is not set: personal data cannot be sealed, so the service will not start. "
            "Set it to 32 random bytes in base64 (keep it outside the database, e.g. in your secret store), "
            "or set DEBUG=1 for local development, which keeps a key in var/data-key-master."
        )
    # Made on first start, not here (config.local_files): importing the settings writes nothing.
    DATA_KEY_MASTER_LOCAL_FILE = VAR_DIR / "data-key-master"
    DATA_KEY_MASTER = DATA_KEY_MASTER_LOCAL_FILE.read_text().strip() if DATA_KEY_MASTER_LOCAL_FILE.exists() else ""
if DATA_KEY_MASTER:
    checked_master_key("DATA_KEY_MASTER", DATA_KEY_MASTER)
# While rotating (`manage.py rotate_master_key`): the old key(s), so keys they wrapped still open.
DATA_KEY_MASTER_PREVIOUS = [
    checked_master_key("DATA_KEY_MASTER_PREVIOUS", key) for key in env_list("DATA_KEY_MASTER_PREVIOUS", "")
]
# Where data keys live: the `DataKey` table; a KMS-backed `KeyStore` replaces it here.
EVENTSTORE_KEY_STORE = os.environ.get("EVENTSTORE_KEY_STORE", "eventstore.personal.keys.TableKeyStore")
# Unwrapped data keys kept per process for sealing (never for opening).
EVENTSTORE_KEY_CACHE_SIZE = int(os.environ.get("EVENTSTORE_KEY_CACHE_SIZE", "10000"))
# The key of the HMAC that names a reserved email (`commands_app.email_reservations`): the
# reservation table holds no readable address. Defaults to SECRET_KEY; after changing it (or
# SECRET_KEY, when it is unset) run `manage.py rebuild_email_reservations`, or no email is taken.
EMAIL_RESERVATION_KEY = os.environ.get("EMAIL_RESERVATION_KEY", "") or SECRET_KEY

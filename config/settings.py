"""Settings, driven by environment variables with safe local defaults.

With no variables set the service runs on an embedded default: a SQLite file and kombu's
`filesystem://` broker, both under `var/`. PostgreSQL + Redis is the production and CI setup:
set `DATABASE_URL` and `CELERY_BROKER_URL`.
"""

import base64
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured

# Lets `admin.ModelAdmin[Event]` and other generic Django classes be subscripted at run time,
# as the type checker reads them.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG")

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it in the environment, or set DEBUG=1 for local "
            "development, which uses a fixed, insecure key."
        )
    SECRET_KEY = "insecure-local-development-key-do-not-use-in-production"


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


# --- Personal data (issue 13, docs/personal-data.md) ---
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

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

# TLS-only settings are their own switches, so the service also runs over plain HTTP on
# loopback with DEBUG off (benchmarks, compose, a reverse proxy that terminates TLS).
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT")
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES")
CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES")
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
if env_bool("SECURE_PROXY_SSL_HEADER"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

INSTALLED_APPS = [
    "config.apps.ConfigAppConfig",  # first: makes var/'s directories and DEBUG's key (config.local_files)
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",  # login lockout (config.login_lockout)
    "csp",  # Content-Security-Policy (CONTENT_SECURITY_POLICY below)
    "eventstore",
    "commands_app",
    "queries_app",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Outermost of ours: every answer, even a refused one, carries X-Correlation-ID.
    "api.correlation.CorrelationIdMiddleware",
    # Before anything reads the request: too large a body or a NUL in the URL ends it here.
    "api.middleware.RequestLimitsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "api.middleware.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "api.middleware.APISlashMiddleware",  # CommonMiddleware, without redirecting a POST under /api/ to a GET
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",  # answers a locked-out login form (config.login_lockout)
    # Innermost, so its process_exception sees a view's or a renderer's exception first.
    "api.middleware.JSONErrorMiddleware",
]

# Login lockout on every form and endpoint that checks a password (django-axes): after
# LOGIN_FAILURE_LIMIT failures for one account (from anywhere) or from one address (for any
# account), its logins are refused for LOGIN_LOCKOUT_MINUTES, the right password included.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out attempt before the password is checked
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = timedelta(minutes=float(os.environ.get("LOGIN_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]  # each alone: per address, and per account
# A success must not wipe the count: an attacker with one real account would reset the address's.
AXES_RESET_ON_SUCCESS = False
AXES_CLIENT_IP_CALLABLE = "config.throttling.client_address"  # the address the throttles count (NUM_PROXIES)
AXES_LOCKOUT_CALLABLE = "config.login_lockout.lockout_response"

# Content-Security-Policy on every page (django-csp): scripts only from this origin, as files
# (the admin's and Swagger UI's are; /api/docs/ loads its start-up script from itself), so an
# injected <script> cannot run. Inline styles stay allowed: the admin's own templates and
# Swagger UI set style attributes, and a style cannot run code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# The most a request body may hold. Commands are small (an order of 200 lines is ~30 KB);
# a bigger body is a 413 before it is read. deploy/nginx/cqrs.conf has the same limit.
REQUEST_BODY_MAX_BYTES = int(os.environ.get("REQUEST_BODY_MAX_BYTES", str(64 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = REQUEST_BODY_MAX_BYTES

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def database_settings(url: str, test_name: str | None) -> dj_database_url.DBConfig:
    """One `DATABASES` entry from a URL (dj-database-url), with SQLite tuned for two writing processes."""
    config = dj_database_url.parse(url, conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")), conn_health_checks=True)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # The web process and the worker both write: WAL lets readers run beside the writer,
        # IMMEDIATE takes the write lock up front instead of failing on upgrade.
        config["CONN_MAX_AGE"] = 0
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    elif config["ENGINE"] == "django.db.backends.postgresql":
        # The event store's hot statements (append, position) are prepared once per
        # connection; Django's own queries bind on the client and are never prepared.
        # Empty turns preparing off, for a pooler in transaction mode that cannot keep them.
        threshold = os.environ.get("DATABASE_PREPARE_THRESHOLD", "1")
        config.setdefault("OPTIONS", {})["prepare_threshold"] = int(threshold) if threshold else None
    config["TEST"] = {"NAME": test_name}
    return config


# Database: DATABASE_URL, or the embedded SQLite file.
_TEST_DATABASE_NAME = os.environ.get("TEST_DATABASE_NAME") or None
DATABASES = {
    "default": database_settings(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"), _TEST_DATABASE_NAME
    )
}
# A separate read database (docs/read-database.md): the read models and the
# subscribers' checkpoints live there, the event store and everything else in `default`.
if os.environ.get("READ_DATABASE_URL"):
    DATABASES["read"] = database_settings(
        os.environ["READ_DATABASE_URL"], _TEST_DATABASE_NAME and f"{_TEST_DATABASE_NAME}_read"
    )
    DATABASE_ROUTERS = ["eventstore.routers.ReadDatabaseRouter"]
# Hot standbys of the read database that serve the query API (docs/read-database.md): aliases
# `read_replica_1`, `read_replica_2`, ...; projections and checkpoints still write to `read`.
# Under test each one mirrors the read database's test database (the standby replicates it).
READ_REPLICA_ALIASES: list[str] = []
for _number, _url in enumerate(env_list("READ_REPLICA_URLS", ""), start=1):
    if "read" not in DATABASES:
        raise ImproperlyConfigured(
            "READ_REPLICA_URLS names replicas of the read database, but READ_DATABASE_URL is not set. "
            "Set READ_DATABASE_URL to the replicas' primary, or unset READ_REPLICA_URLS."
        )
    _replica = database_settings(_url, None)
    if _replica["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured(f"READ_REPLICA_URLS: {_url.split('@')[-1]!r} is not a PostgreSQL URL.")
    # A replica that does not answer is skipped quickly rather than holding a request.
    _timeout = int(os.environ.get("READ_REPLICA_CONNECT_TIMEOUT", "2"))
    _replica.setdefault("OPTIONS", {}).setdefault("connect_timeout", _timeout)
    _replica["TEST"] = {"MIRROR": "read"}
    DATABASES[f"read_replica_{_number}"] = _replica
    READ_REPLICA_ALIASES.append(f"read_replica_{_number}")
# ?min_position= on a replica that is behind: wait this long for it, then ask the read primary.
READ_REPLICA_WAIT_SECONDS = float(os.environ.get("READ_REPLICA_WAIT_SECONDS", "0.2"))
# A replica that failed to answer is left alone this long before it is tried again.
READ_REPLICA_RETRY_SECONDS = float(os.environ.get("READ_REPLICA_RETRY_SECONDS", "5"))
# The apps whose models are read models (the router sends them to the read database).
READ_DATABASE_APPS = ["queries_app"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve admin assets straight from the apps when collectstatic has not run (local use).
WHITENOISE_USE_FINDERS = True

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "queries_app.pagination.BoundedLimitOffsetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "queries_app.filters.StrictOrderingFilter",
    ],
    # JSON nested more than a few levels is refused (api.parsers); forms for the browsable API.
    "DEFAULT_PARSER_CLASSES": [
        "api.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # ASCII JSON (\uXXXX escapes): a lone surrogate echoed from the input (an unknown key
    # "\ud800") cannot be encoded as UTF-8, which made the renderer fail with an HTML 500.
    "UNICODE_JSON": False,
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "api.openapi.ProjectAutoSchema",
    "UNAUTHENTICATED_USER": None,
    # Per user and scope (`commands`, else `queries`; `auth` per address); "N/s|min|hour|day", empty for no limit.
    "DEFAULT_THROTTLE_CLASSES": ["config.throttling.UserScopeRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "commands": os.environ.get("THROTTLE_COMMANDS_RATE", "1200/min") or None,
        "queries": os.environ.get("THROTTLE_QUERIES_RATE", "6000/min") or None,
        # Token exchanges per client address (password guessing).
        "auth": os.environ.get("THROTTLE_AUTH_RATE", "30/min") or None,
    },
    # Proxies in front that append to X-Forwarded-For. DRF's default (unset) trusts the header
    # as sent, so a client could rotate it to dodge the per-address throttle.
    "NUM_PROXIES": int(os.environ.get("NUM_PROXIES", "0")),
}

# The cache holds the throttles' counts, so every process of the service must share it:
# Redis when CACHE_URL is set (or the broker is Redis, as in production), else local memory
# (one web process, as with `make run`). The key prefix keeps a tenant's or a test run's keys apart.
_broker_url = os.environ.get("CELERY_BROKER_URL", "")
CACHE_URL = os.environ.get("CACHE_URL") or (_broker_url if _broker_url.startswith(("redis://", "rediss://")) else "")
if CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX") or os.environ.get("CELERY_KEY_PREFIX") or "cqrs",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery: the broker carries wake-up calls only; the event table is the source of truth.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
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
CELERY_BEAT_SCHEDULE = {
    "sweep-subscribers": {
        "task": "eventstore.tasks.sweep_subscribers",
        "schedule": timedelta(seconds=EVENTSTORE_SWEEP_SECONDS),
    },
}

# Event store and subscriptions.
EVENTSTORE_BATCH_SIZE = int(os.environ.get("EVENTSTORE_BATCH_SIZE", "500"))
# A subscriber whose handler raises retries that event this many times, with exponential
# backoff, before it stops in state `failed` (an operator then retries or skips it).
EVENTSTORE_HANDLER_RETRIES = int(os.environ.get("EVENTSTORE_HANDLER_RETRIES", "3"))
EVENTSTORE_RETRY_BACKOFF_SECONDS = float(os.environ.get("EVENTSTORE_RETRY_BACKOFF_SECONDS", "0.2"))
EVENTSTORE_SUBSCRIBERS = [
    "queries_app.projections.customer_view.CustomerViewProjection",
    "queries_app.projections.order_summary.OrderSummaryProjection",
    "queries_app.projections.product_stock.ProductStockProjection",
    "commands_app.domain.fulfilment.OrderFulfilment",  # the saga: reserves stock, confirms or cancels orders
]
# A comma-separated list replaces it (the benchmark runs the projections alone).
if os.environ.get("EVENTSTORE_SUBSCRIBERS"):
    EVENTSTORE_SUBSCRIBERS = [path.strip() for path in os.environ["EVENTSTORE_SUBSCRIBERS"].split(",") if path.strip()]

# Read-your-writes: how long a query with ?min_position= waits for its projections.
READ_YOUR_WRITES_TIMEOUT_SECONDS = float(os.environ.get("READ_YOUR_WRITES_TIMEOUT_SECONDS", "2"))

# Command bus middleware, outermost first.
COMMAND_BUS_MIDDLEWARE = [
    "commands_app.framework.middleware.RecoveryMiddleware",
    "commands_app.framework.middleware.LoggingMiddleware",
    "commands_app.framework.metrics.MetricsMiddleware",
    "commands_app.framework.middleware.ValidationMiddleware",
    "commands_app.framework.middleware.RetryOnConflictMiddleware",
    "commands_app.framework.middleware.TransactionMiddleware",
    "commands_app.idempotency.IdempotencyMiddleware",
]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- API surface: OpenAPI schema, health, metrics (issue 6) ---
# drf-spectacular: the schema at /api/schema/, Swagger UI at /api/docs/ with its assets
# from drf-spectacular-sidecar (served by WhiteNoise, no CDN). Both need a login, like
# everything else under /api/.
SPECTACULAR_SETTINGS = {
    "TITLE": "Customers, orders and products (event-sourced CQRS)",
    "DESCRIPTION": (
        "Commands are `POST /api/commands/<name>/`; each answers with the position of its last "
        "event. Queries read the projected read models; `/api/events/` reads the log itself. "
        "Every error body has a human-readable `detail`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Request and response shapes differ (ids generated when absent, read-only fields).
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/",
    "TAGS": [
        {"name": "commands", "description": "The write side: one endpoint per command."},
        {"name": "customers", "description": "Customers as projected from the log."},
        {"name": "orders", "description": "Orders as projected from the log."},
        {"name": "products", "description": "Products and their stock, as projected from the log."},
        {"name": "events", "description": "The event log itself, read-only."},
        {"name": "projections", "description": "Where each projection is in the log."},
        {"name": "auth", "description": "Token exchange."},
    ],
}
# Probes and scrapers speak plain HTTP from inside the network, even when the site redirects to TLS.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
# /healthz: how long to wait for the broker and for a worker's answer to a ping.
HEALTHZ_BROKER_TIMEOUT = float(os.environ.get("HEALTHZ_BROKER_TIMEOUT", "1"))
HEALTHZ_WORKER_TIMEOUT = float(os.environ.get("HEALTHZ_WORKER_TIMEOUT", "1"))
# Anonymous /healthz says only ok or failing; staff and `Authorization: Bearer <HEALTHZ_TOKEN>` get the checks.
HEALTHZ_TOKEN = os.environ.get("HEALTHZ_TOKEN", "")
# /metrics is for a scraper on a private network; with METRICS_TOKEN set it also wants
# `Authorization: Bearer <token>`. PROMETHEUS_MULTIPROC_DIR (read by prometheus-client
# itself) aggregates the metrics of several gunicorn processes.
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")

# --- Snapshots and upcasting (issue 5) ---
# Every N events of a stream of these types, the append also stores a snapshot of the
# aggregate's state; loads start from the latest one. 0 turns snapshots off.
EVENTSTORE_SNAPSHOT_EVERY = {
    stream_type: int(os.environ.get("EVENTSTORE_SNAPSHOT_EVERY", "50"))
    for stream_type in ("Order", "Customer", "Product")
}
# `eventstore.upcasting.Upcasters` registries, applied to every event the store reads.
EVENTSTORE_UPCASTERS = ["commands_app.domain.upcasters.upcasters"]

# --- Command bus middleware options (issue 5) ---
# How long an Idempotency-Key is remembered (a repeat after that runs the command again).
COMMAND_IDEMPOTENCY_KEY_TTL_SECONDS = int(os.environ.get("COMMAND_IDEMPOTENCY_KEY_TTL_SECONDS", str(24 * 3600)))
# A command marked `retry_on_conflict` runs at most this many times in all; between tries it
# waits a random time up to BASE * 2**(try-1) seconds, never more than MAX.
COMMAND_RETRY_MAX_ATTEMPTS = int(os.environ.get("COMMAND_RETRY_MAX_ATTEMPTS", "10"))
COMMAND_RETRY_BASE_DELAY_SECONDS = float(os.environ.get("COMMAND_RETRY_BASE_DELAY_SECONDS", "0.01"))
COMMAND_RETRY_MAX_DELAY_SECONDS = float(os.environ.get("COMMAND_RETRY_MAX_DELAY_SECONDS", "0.25"))
# The key of the HMAC that names a reserved email (`commands_app.email_reservations`): the
# reservation table holds no readable address. Defaults to SECRET_KEY; after changing it (or
# SECRET_KEY, when it is unset) run `manage.py rebuild_email_reservations`, or no email is taken.
EMAIL_RESERVATION_KEY = os.environ.get("EMAIL_RESERVATION_KEY", "") or SECRET_KEY
# The worker registers the purge task (it lives beside the idempotency code, not in a tasks module).
CELERY_IMPORTS = ["commands_app.idempotency"]
CELERY_BEAT_SCHEDULE["purge-expired-idempotency-keys"] = {
    "task": "commands_app.purge_expired_idempotency_keys",
    "schedule": timedelta(hours=1),
}

# --- The admin's stream page (issue 6) ---
# The event store cannot import the domain; this callable turns a run of one stream's events
# into the aggregate's state after each (eventstore.stream_history describes the contract).
EVENTSTORE_STATE_REPLAYER = "commands_app.replay.states_after_each"

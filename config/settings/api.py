"""The HTTP API: DRF, the OpenAPI document, /healthz and /metrics, read-your-writes."""

import os

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
# /healthz: how long to wait for the broker and for a worker's answer to a ping.
HEALTHZ_BROKER_TIMEOUT = float(os.environ.get("HEALTHZ_BROKER_TIMEOUT", "1"))
HEALTHZ_WORKER_TIMEOUT = float(os.environ.get("HEALTHZ_WORKER_TIMEOUT", "1"))
# Anonymous /healthz says only ok or failing; staff and `Authorization: Bearer <HEALTHZ_TOKEN>` get the checks.
HEALTHZ_TOKEN = os.environ.get("HEALTHZ_TOKEN", "")
# /metrics is for a scraper on a private network; with METRICS_TOKEN set it also wants
# `Authorization: Bearer <token>`. PROMETHEUS_MULTIPROC_DIR (read by prometheus-client
# itself) aggregates the metrics of several gunicorn processes.
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")

# Read-your-writes: how long a query with ?min_position= waits for its projections.
READ_YOUR_WRITES_TIMEOUT_SECONDS = float(os.environ.get("READ_YOUR_WRITES_TIMEOUT_SECONDS", "2"))

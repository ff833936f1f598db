"""Security: hosts, TLS, login lockout, Content-Security-Policy, request limits."""

import os
from datetime import timedelta

from config.settings.base import env_bool, env_list

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
# Probes and scrapers speak plain HTTP from inside the network, even when the site redirects to TLS.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]

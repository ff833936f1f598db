"""The command bus: its middleware and their options."""

import os

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

# How long an Idempotency-Key is remembered (a repeat after that runs the command again).
COMMAND_IDEMPOTENCY_KEY_TTL_SECONDS = int(os.environ.get("COMMAND_IDEMPOTENCY_KEY_TTL_SECONDS", str(24 * 3600)))
# A command marked `retry_on_conflict` runs at most this many times in all; between tries it
# waits a random time up to BASE * 2**(try-1) seconds, never more than MAX.
COMMAND_RETRY_MAX_ATTEMPTS = int(os.environ.get("COMMAND_RETRY_MAX_ATTEMPTS", "10"))
COMMAND_RETRY_BASE_DELAY_SECONDS = float(os.environ.get("COMMAND_RETRY_BASE_DELAY_SECONDS", "0.01"))
COMMAND_RETRY_MAX_DELAY_SECONDS = float(os.environ.get("COMMAND_RETRY_MAX_DELAY_SECONDS", "0.25"))

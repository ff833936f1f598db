"""How long a writer that lost a race waits before it decides again.

"Full jitter" (uniform between 0 and an exponentially growing cap): writers that collided do
not collide again in step. Shared by the command bus's retry middleware and process managers.
"""

import random

from django.conf import settings


def conflict_backoff(attempt: int) -> float:
    """Seconds to wait after failed `attempt` (1-based); the cap doubles from the base to the max."""
    cap = settings.COMMAND_RETRY_BASE_DELAY_SECONDS * 2 ** (attempt - 1)
    return random.uniform(0, min(cap, settings.COMMAND_RETRY_MAX_DELAY_SECONDS))

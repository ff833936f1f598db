"""Per-user request rates for the API, with the counts kept in the default cache.

Every DRF view is throttled under its `throttle_scope` (`commands` for the command views),
or `queries` when it names none, so a new read endpoint is covered without a line of its
own. Rates come from `REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]` (env-driven, see settings).
"""

import logging
from typing import TYPE_CHECKING

from redis.exceptions import RedisError
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle, ScopedRateThrottle

if TYPE_CHECKING:  # rest_framework.views imports this module through DEFAULT_THROTTLE_CLASSES
    from rest_framework.views import APIView

logger = logging.getLogger("throttling")

DEFAULT_SCOPE = "queries"


def client_address(request) -> str:
    """The client's address as the throttles count it: `REMOTE_ADDR`, or behind `NUM_PROXIES` proxies the
    address they appended to `X-Forwarded-For` (`AXES_CLIENT_IP_CALLABLE`, so logins count the same)."""
    return BaseThrottle().get_ident(request)


class UserScopeRateThrottle(ScopedRateThrottle):
    """DRF's `ScopedRateThrottle` (per user, per scope), applied to every view.

    A view without `throttle_scope` counts as `queries`. A scope whose rate is unset is not
    throttled. The counts live in the cache (Redis in production, so every gunicorn
    process shares them); when the cache cannot be reached the request is let through and
    the failure logged, because an outage of the cache must not take the API down with it.
    """

    def allow_request(self, request: Request, view: "APIView") -> bool:
        self.scope = getattr(view, self.scope_attr, None) or DEFAULT_SCOPE
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        try:
            # Skip ScopedRateThrottle's own allow_request, which would look the scope up again.
            return super(ScopedRateThrottle, self).allow_request(request, view)
        except (RedisError, OSError) as error:
            logger.warning("throttle cache unavailable, request let through: %s", error)
            return True

    def get_rate(self) -> str | None:
        # Read at request time, not import time (DRF binds the dict to the class), so a
        # changed setting applies at once.
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope or DEFAULT_SCOPE)
        return None if rate is None else str(rate)

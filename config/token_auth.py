"""`POST /api/auth/token/`: DRF's token exchange, throttled per client address.

DRF's own view turns throttling off, which would let anyone try passwords as fast as the
server answers. Here it counts under the `auth` scope, keyed by the client's address (the
caller is not logged in yet), at `THROTTLE_AUTH_RATE`.
"""

from rest_framework.authtoken.views import ObtainAuthToken

from config.throttling import UserScopeRateThrottle


class ThrottledObtainAuthToken(ObtainAuthToken):
    """Username and password in, token out; over the `auth` rate, 429 with `Retry-After`."""

    throttle_classes = [UserScopeRateThrottle]
    throttle_scope = "auth"

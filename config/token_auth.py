"""`POST /api/auth/token/`: DRF's token exchange, throttled per client address and locked out per account.

DRF's own view turns throttling off, which would let anyone try passwords as fast as the
server answers. Here it counts under the `auth` scope, keyed by the client's address (the
caller is not logged in yet), at `THROTTLE_AUTH_RATE`. django-axes counts its failures like
every login form's (`config.login_lockout`); DRF's request is not the one its middleware
answers, so the lockout is answered here.
"""

from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from api.parsers import BoundedJSONParser
from config.login_lockout import LoginLockedOut
from config.throttling import UserScopeRateThrottle


class ThrottledObtainAuthToken(ObtainAuthToken):
    """Username and password in, token out; over the `auth` rate or locked out, 429 with `Retry-After`.

    A JSON body only (a form or multipart one is a 415), and no authentication: the schema then
    states one request body and no security, which a generated client can call (DRF's view
    declares three bodies and token/cookie security, and such a client sent all three at once).
    """

    parser_classes = [BoundedJSONParser]
    authentication_classes = []

    throttle_classes = [UserScopeRateThrottle]
    throttle_scope = "auth"

    def post(self, request: Request, *args, **kwargs) -> Response:
        try:
            return super().post(request, *args, **kwargs)
        except ValidationError:
            # Set by django-axes on this request when the attempt was refused, or it reached the limit.
            if getattr(request, "axes_locked_out", False):
                raise LoginLockedOut() from None
            raise

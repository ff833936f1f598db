"""Login lockout (django-axes): what a locked-out login attempt is answered, on every password form.

django-axes counts failed logins per account and per client address (`AXES_*` in settings)
on the admin's login form, the browsable API's and the token exchange. Over the limit,
every attempt for that account or from that address is refused, right password included,
until the cool-off has passed or an operator lifts it (`manage.py axes_reset_username
NAME`, `axes_reset_ip ADDRESS`, or deleting the access attempt in the admin).
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from rest_framework import status
from rest_framework.exceptions import APIException

from api.error_pages import is_json_path


def lockout_seconds() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds())


def lockout_detail() -> str:
    minutes = max(1, lockout_seconds() // 60)
    return (
        f"Too many failed logins for this account or from this address: locked for {minutes} minutes "
        "(an administrator can lift it sooner)."
    )


class LoginLockedOut(APIException):
    """The token exchange's answer while locked out: 429 with `Retry-After`, like a throttled request."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "locked_out"

    def __init__(self) -> None:
        super().__init__(lockout_detail())
        self.wait = lockout_seconds()  # DRF's exception handler turns `wait` into Retry-After


def lockout_response(request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None):
    """`AXES_LOCKOUT_CALLABLE`: JSON on API paths (the browsable API's login), plain text on the admin's."""
    if is_json_path(request.path_info):
        response: HttpResponse = JsonResponse({"detail": lockout_detail()}, status=429)
    else:
        response = HttpResponse(lockout_detail(), status=429, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(lockout_seconds())
    return response

"""Password guessing is locked out on every form that checks a password, per account and per address.

Found: 40 wrong passwords on `/admin/login/` and `/api/auth/login/` got 40 answers and no 429
(only the token exchange was throttled, and only per address). Real requests, real
django-axes counting in PostgreSQL.
"""

import pytest
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient

from tests.factories import StaffUserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
LIMIT = 3


@pytest.fixture(autouse=True)
def low_limit(settings):
    settings.AXES_FAILURE_LIMIT = LIMIT
    # The per-address throttle of the token exchange is its own guard; keep it out of the way here.
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {}}


@pytest.fixture
def alice(db):
    return StaffUserFactory(username="alice", password=PASSWORD)  # staff, so the admin form would let her in


def admin_login(address: str, username: str, password: str):
    return Client(REMOTE_ADDR=address).post("/admin/login/", {"username": username, "password": password})


def browsable_login(address: str, username: str, password: str):
    return Client(REMOTE_ADDR=address).post("/api/auth/login/", {"username": username, "password": password})


def token_login(address: str, username: str, password: str):
    client = APIClient(REMOTE_ADDR=address)
    return client.post("/api/auth/token/", {"username": username, "password": password}, format="json")


LOGINS = [admin_login, browsable_login, token_login]


def logged_in(response) -> bool:
    """A form's success is a redirect; a failure shows the form again (200) or, at the limit, 429."""
    if response.status_code == 302:
        return True
    return response["Content-Type"] == "application/json" and "token" in response.json()


def assert_locked_out(response) -> None:
    assert response.status_code == 429, response.content[:300]
    assert int(response["Retry-After"]) == 15 * 60
    text = response.json()["detail"] if "json" in response["Content-Type"] else response.content.decode()
    assert "Too many failed logins" in text


@pytest.mark.parametrize("login", LOGINS)
def test_an_account_is_locked_after_the_limit_from_any_address(alice, login):
    for n in range(LIMIT):
        assert not logged_in(login(f"203.0.113.{n}", "alice", "wrong"))
    # The right password, from a new address, is refused too: the guesser cannot tell it was right.
    assert_locked_out(login("198.51.100.1", "alice", PASSWORD))
    assert logged_in(login("198.51.100.1", StaffUserFactory(username="bob", password=PASSWORD).username, PASSWORD))


@pytest.mark.parametrize("login", LOGINS)
def test_an_address_is_locked_after_the_limit_for_any_account(alice, login):
    for n in range(LIMIT):
        assert not logged_in(login("203.0.113.9", f"guess-{n}", "wrong"))
    assert_locked_out(login("203.0.113.9", "alice", PASSWORD))
    assert logged_in(login("203.0.113.10", "alice", PASSWORD))


def test_failures_on_one_form_count_on_the_others(alice):
    admin_login("203.0.113.1", "alice", "wrong")
    browsable_login("203.0.113.2", "alice", "wrong")
    token_login("203.0.113.3", "alice", "wrong")
    assert_locked_out(token_login("203.0.113.4", "alice", PASSWORD))


def test_the_token_exchanges_lockout_is_json_with_retry_after(alice):
    # The failure that reaches the limit is already answered as a lockout.
    assert [token_login("203.0.113.1", "alice", "wrong").status_code for _ in range(LIMIT)] == [400, 400, 429]
    locked = token_login("203.0.113.1", "alice", PASSWORD)
    assert_locked_out(locked)
    assert "token" not in locked.json()


def test_an_operator_lifts_a_lockout(alice):
    for n in range(LIMIT):
        admin_login(f"203.0.113.{n}", "alice", "wrong")
    assert_locked_out(admin_login("198.51.100.1", "alice", PASSWORD))

    call_command("axes_reset_username", "alice")

    assert logged_in(admin_login("198.51.100.1", "alice", PASSWORD))

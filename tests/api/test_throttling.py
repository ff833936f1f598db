"""Per-user throttling: over the rate a user gets 429 with `detail` and `Retry-After`; others carry on."""

import logging

import pytest
import redis
from django.conf import settings as django_settings
from rest_framework.test import APIClient

from eventstore.models import Event
from tests.api.helpers import command
from tests.conftest import token_client, uses_redis
from tests.factories import CommandSenderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def low_rates(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"commands": "3/min", "queries": "5/min"},
    }


def register(client, n: int):
    return command(client, "register-customer", name=f"Ada {n}", email=f"ada{n}@example.com")


def test_a_user_over_the_command_rate_gets_429_and_nothing_is_written(low_rates):
    ada, grace = token_client(CommandSenderFactory()), token_client(CommandSenderFactory())
    assert [register(ada, n).status_code for n in range(3)] == [200, 200, 200]

    refused = register(ada, 3)

    assert refused.status_code == 429
    assert "throttled" in refused.json()["detail"]
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert Event.objects.count() == 3
    # Another user is not affected, and reading is its own budget.
    assert register(grace, 4).status_code == 200
    assert ada.get("/api/customers/").status_code == 200


def test_a_user_over_the_query_rate_gets_429(low_rates, api, reader_api):
    assert [api.get("/api/orders/").status_code for _ in range(5)] == [200] * 5
    refused = api.get("/api/events/")
    assert refused.status_code == 429 and refused.json()["detail"] and int(refused["Retry-After"]) >= 1
    assert reader_api.get("/api/orders/").status_code == 200


def test_an_unset_rate_does_not_throttle(settings, api):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"commands": "1/min"}}
    assert [api.get("/api/orders/").status_code for _ in range(3)] == [200] * 3


@pytest.mark.skipif(not uses_redis(), reason="needs Redis (as `make test` sets up)")
def test_the_counts_live_in_redis_so_every_process_shares_them(low_rates, user, api):
    assert django_settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    register(api, 1)
    client = redis.Redis.from_url(django_settings.CACHES["default"]["LOCATION"])
    prefix = django_settings.CACHES["default"]["KEY_PREFIX"]
    assert list(client.scan_iter(match=f"{prefix}*throttle_commands_{user.pk}"))
    client.close()


def test_an_unreachable_cache_lets_requests_through(settings, api, caplog):
    # Nothing listens on port 9. Throttling is a guard; losing it must not take the API down.
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:9/0"}
    }
    with caplog.at_level(logging.WARNING, logger="throttling"):
        assert register(api, 1).status_code == 200
    assert "throttle cache unavailable" in caplog.text
    assert Event.objects.count() == 1


def test_token_exchanges_are_throttled_per_client_address(settings, user):
    # DRF's own token view is not throttled at all: passwords could be tried as fast as it answers.
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"auth": "2/min"}}
    guess = {"username": user.username, "password": "wrong"}
    attacker = APIClient(REMOTE_ADDR="203.0.113.7")
    assert [attacker.post("/api/auth/token/", guess, format="json").status_code for _ in range(2)] == [400, 400]
    refused = attacker.post("/api/auth/token/", {**guess, "password": "correct horse battery staple"}, format="json")
    assert refused.status_code == 429 and refused.json()["detail"] and int(refused["Retry-After"]) >= 1
    assert "token" not in refused.json()
    # A forged X-Forwarded-For does not make a new address.
    forged = attacker.post("/api/auth/token/", guess, format="json", HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert forged.status_code == 429
    # Someone at another address still gets in.
    other = APIClient(REMOTE_ADDR="203.0.113.8")
    response = other.post("/api/auth/token/", {**guess, "password": "correct horse battery staple"}, format="json")
    assert response.status_code == 200 and response.json()["token"]

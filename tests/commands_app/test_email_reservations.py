"""Unique customer emails: the reservation table, claimed with the event (`commands_app.email_reservations`)."""

import uuid

import pytest
from django.core.management import call_command
from django.db import connection  # noqa: F401  read by the skipif conditions

from commands_app.domain import commands as c
from commands_app.email_reservations import email_key, normalise_email, release_email_reservation
from commands_app.framework.bus import CommandResult
from commands_app.framework.errors import ValueTaken
from commands_app.models import EmailReservation
from commands_app.wiring import command_bus
from eventstore.models import Event
from tests.api.helpers import command, register_customer, unique_email
from tests.round_trips import counting_round_trips
from tests.threads import in_threads

THREADS = 8


def test_addresses_are_compared_without_regard_to_case_or_surrounding_space():
    assert normalise_email(" Ada@Example.COM ") == "ada@example.com"
    assert email_key("Ada@Example.com") == email_key("ada@example.com") != email_key("ada@example.org")


def test_the_key_is_an_hmac_so_the_table_holds_no_readable_address(settings):
    key = email_key("ada@example.com")
    assert "ada" not in key and len(key) == 64
    settings.EMAIL_RESERVATION_KEY = "another key"
    assert email_key("ada@example.com") != key


@pytest.mark.django_db
class TestOverHttp:
    def test_a_taken_email_is_409_naming_the_field_and_writes_nothing(self, api):
        register_customer(api, email="ada@example.com")
        events = Event.objects.count()
        response = command(api, "register-customer", name="Impostor", email="ADA@example.com")
        assert response.status_code == 409
        body = response.json()
        assert "already registered to another customer" in body["detail"] and list(body["errors"]) == ["email"]
        assert Event.objects.count() == events and EmailReservation.objects.count() == 1

    def test_an_update_to_a_taken_email_is_409_and_keeps_both_addresses(self, api):
        register_customer(api, email="ada@example.com")
        grace = register_customer(api, name="Grace", email="grace@example.com")
        events = Event.objects.count()
        response = command(api, "update-customer", customer_id=grace, email="Ada@Example.com")
        assert response.status_code == 409 and list(response.json()["errors"]) == ["email"]
        assert Event.objects.count() == events
        assert set(EmailReservation.objects.values_list("email_key", flat=True)) == {
            email_key("ada@example.com"),
            email_key("grace@example.com"),
        }

    def test_changing_an_email_frees_the_old_one(self, api):
        ada = register_customer(api, email="ada@example.com")
        assert command(api, "update-customer", customer_id=ada, email="ada@lovelace.org").status_code == 200
        assert EmailReservation.objects.get().email_key == email_key("ada@lovelace.org")
        register_customer(api, name="Another Ada", email="ada@example.com")  # free again

    def test_a_new_case_of_ones_own_email_is_accepted(self, api):
        ada = register_customer(api, email="ada@example.com")
        response = command(api, "update-customer", customer_id=ada, email="Ada@Example.com")
        assert response.status_code == 200 and response.json()["events"] == ["CustomerUpdated"]
        assert EmailReservation.objects.get().customer_id == uuid.UUID(ada)

    def test_an_update_that_changes_nothing_is_200_with_the_current_version_and_no_event(self, api):
        ada = register_customer(api, email="ada@example.com")
        events = Event.objects.count()
        response = command(api, "update-customer", customer_id=ada, name="Ada Lovelace", email="ada@example.com")
        assert response.status_code == 200
        assert response.json()["events"] == [] and response.json()["version"] == 1
        assert Event.objects.count() == events

    def test_a_taken_customer_id_releases_no_claim(self, api):
        ada = register_customer(api, email="ada@example.com")
        response = command(api, "register-customer", customer_id=ada, name="Ada", email="other@example.com")
        assert response.status_code == 409
        assert EmailReservation.objects.count() == 1  # the claim of other@ rolled back with the refusal

    def test_release_frees_what_the_customer_holds(self, api):
        ada = register_customer(api, email="ada@example.com")
        assert release_email_reservation(ada) == 1
        register_customer(api, name="Another Ada", email="ada@example.com")

    def test_the_reservation_survives_a_rebuild_of_every_projection(self, api):
        register_customer(api, email="ada@example.com")
        call_command("rebuild_projections", "--all")
        assert command(api, "register-customer", name="Impostor", email="ada@example.com").status_code == 409

    def test_rebuild_from_the_log(self, api, capsys):
        ada = register_customer(api, email="ada@example.com")
        command(api, "update-customer", customer_id=ada, email="ada@lovelace.org")
        register_customer(api, name="Grace", email="grace@example.com")
        EmailReservation.objects.all().delete()
        call_command("rebuild_email_reservations")
        assert "Reserved 2 emails." in capsys.readouterr().out
        assert set(EmailReservation.objects.values_list("email_key", flat=True)) == {
            email_key("ada@lovelace.org"),
            email_key("grace@example.com"),
        }
        assert command(api, "register-customer", name="Impostor", email="ADA@lovelace.org").status_code == 409
        register_customer(api, name="Another Ada", email="ada@example.com")  # her old address is free


def register_at_once(email: str) -> list:
    def register(n: int) -> CommandResult:
        return command_bus().dispatch(c.RegisterCustomer(name=f"Racer {n}", email=email.upper() if n % 2 else email))

    return in_threads(register, THREADS)


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
class TestRace:
    def test_eight_threads_registering_one_email_exactly_one_wins(self):
        results = register_at_once("race@example.com")
        winners = [r for r in results if not isinstance(r, Exception)]
        assert len(winners) == 1, results
        assert all(isinstance(r, ValueTaken) and r.field == "email" for r in results if r not in winners), results
        assert Event.objects.filter(event_type="CustomerRegistered").count() == 1
        assert EmailReservation.objects.get().customer_id == uuid.UUID(winners[0].aggregate_id)

    def test_two_customers_swapping_addresses_at_once_are_both_refused_never_deadlocked(self):
        for round_ in range(10):
            emails = [f"swap-{round_}-{n}-{uuid.uuid4().hex[:6]}@example.com" for n in (0, 1)]
            ids = [
                command_bus().dispatch(c.RegisterCustomer(name=f"S{n}", email=e)).aggregate_id
                for n, e in enumerate(emails)
            ]

            def swap(n: int, ids: list[str] = ids, emails: list[str] = emails) -> CommandResult:
                return command_bus().dispatch(c.UpdateCustomer(customer_id=uuid.UUID(ids[n]), email=emails[1 - n]))

            results = in_threads(swap, 2)
            assert all(isinstance(r, ValueTaken) and r.field == "email" for r in results), results
            held = dict(
                EmailReservation.objects.filter(email_key__in=[email_key(e) for e in emails]).values_list(
                    "email_key", "customer_id"
                )
            )
            assert held == {email_key(e): uuid.UUID(i) for e, i in zip(emails, ids, strict=True)}

    def test_without_the_reservation_every_thread_wins(self, monkeypatch):
        # The guard is what makes the test above pass: switched off, the race registers them all.
        monkeypatch.setattr("commands_app.domain.handlers.claim_email", lambda *args, **kwargs: None)
        results = register_at_once("race@example.com")
        assert not any(isinstance(r, Exception) for r in results), results
        assert Event.objects.filter(event_type="CustomerRegistered").count() == THREADS


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_the_claim_costs_no_round_trip_of_its_own(monkeypatch):
    # Its insert is pipelined with the event's (`eventstore.companions`): register-customer makes
    # as many round trips with the claim as without it.
    bus = command_bus()
    bus.dispatch(c.RegisterCustomer(name="Warm-up", email=unique_email()))  # statements prepared
    with counting_round_trips() as claimed:
        bus.dispatch(c.RegisterCustomer(name="Ada", email=unique_email()))
    monkeypatch.setattr("commands_app.domain.handlers.claim_email", lambda *args, **kwargs: None)
    with counting_round_trips() as unclaimed:
        bus.dispatch(c.RegisterCustomer(name="Grace", email=unique_email()))
    assert claimed.count == unclaimed.count, (claimed.messages, unclaimed.messages)
    # BEGIN; the claim, the data key and the event; the COMMIT with the position read (psycopg
    # flushes to read the position, then syncs): 4 in all, where a claim of its own made it 6.
    assert claimed.count == 4, claimed.messages
    assert EmailReservation.objects.count() == 2

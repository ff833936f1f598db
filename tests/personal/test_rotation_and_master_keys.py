"""Master-key rotation rewraps data keys without touching events; a wrong master key is refused."""

import base64
import os

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from commands_app.domain.customer import Customer
from commands_app.wiring import aggregate_repository
from eventstore.models import DataKey, Event
from eventstore.personal.keys import KeyUnusable, key_store
from tests.api.helpers import command, register_customer

pytestmark = pytest.mark.django_db


def new_master() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def test_rotation_rewraps_every_key_and_old_events_still_open(api, settings):
    customer_id = register_customer(api, "Rita Rotate", "rita@example.com")
    events_before = list(Event.objects.values_list("position", "data"))
    wrapped_before = bytes(DataKey.objects.get(subject=customer_id).wrapped_key)
    old = settings.DATA_KEY_MASTER
    settings.DATA_KEY_MASTER, settings.DATA_KEY_MASTER_PREVIOUS = new_master(), [old]
    call_command("rotate_master_key", verbosity=0)
    row = DataKey.objects.get(subject=customer_id)
    assert bytes(row.wrapped_key) != wrapped_before
    assert list(Event.objects.values_list("position", "data")) == events_before  # no event touched
    settings.DATA_KEY_MASTER_PREVIOUS = []  # the old key is gone everywhere
    assert aggregate_repository().load(Customer, customer_id).name == "Rita Rotate"
    assert command(api, "update-customer", customer_id=customer_id, name="Rita R.").status_code == 200
    assert aggregate_repository().load(Customer, customer_id).name == "Rita R."


def test_rotation_without_the_old_key_changes_nothing_and_says_why(api, settings):
    customer_id = register_customer(api, "Rita Rotate", "rita@example.com")
    wrapped_before = bytes(DataKey.objects.get(subject=customer_id).wrapped_key)
    settings.DATA_KEY_MASTER = new_master()
    with pytest.raises(CommandError, match="DATA_KEY_MASTER"):
        call_command("rotate_master_key", verbosity=0)
    assert bytes(DataKey.objects.get(subject=customer_id).wrapped_key) == wrapped_before


def test_a_wrong_master_key_is_refused_never_written_with_or_read_as_forgotten(api, settings):
    customer_id = register_customer(api, "Wanda Wrong", "wanda@example.com")
    settings.DATA_KEY_MASTER = new_master()
    with pytest.raises(KeyUnusable, match="DATA_KEY_MASTER"):
        aggregate_repository().load(Customer, customer_id)
    with pytest.raises(KeyUnusable):
        key_store().key_for_writing("another-subject")
    assert not DataKey.objects.filter(subject="another-subject").exists()

"""Who may do what: reading needs a login, sending commands needs `commands_app.send_commands`."""

import importlib
import re
import uuid
from io import StringIO

import pytest
from django.apps import apps as django_apps
from django.contrib.auth.models import Group, Permission
from django.core.management import CommandError, call_command
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from commands_app.api.permissions import COMMAND_SENDERS_GROUP, FORGET_SUBJECTS, SEND_COMMANDS
from commands_app.api.serializers import COMMAND_SERIALIZERS
from commands_app.models import IdempotencyRecord
from eventstore.models import Event
from tests.api.helpers import command, register_customer
from tests.conftest import token_client
from tests.factories import StaffUserFactory, UserFactory

pytestmark = pytest.mark.django_db

COMMAND_ENDPOINTS = [serializer.command_class.command_type() for serializer in COMMAND_SERIALIZERS]
# Public on purpose: how one gets credentials in the first place.
PUBLIC_PATHS = {"/api/auth/token/"}


def test_the_data_migration_makes_a_group_that_holds_the_permission():
    # Run its function again on a clean slate: a transactional test's flush may have deleted the row it made.
    Group.objects.filter(name=COMMAND_SENDERS_GROUP).delete()
    importlib.import_module("commands_app.migrations.0003_command_senders_group").create_group(django_apps, None)
    group = Group.objects.get(name=COMMAND_SENDERS_GROUP)
    assert [f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()] == [SEND_COMMANDS]


@pytest.mark.parametrize("endpoint", COMMAND_ENDPOINTS)
def test_a_user_without_the_permission_gets_403_naming_it_and_nothing_is_written(reader_api, endpoint):
    # A body that would be accepted, and an idempotency key that would be stored, if allowed.
    response = reader_api.post(
        f"/api/commands/{endpoint}/",
        {"name": "Ada", "email": "ada@example.com", "customer_id": str(uuid.uuid4()), "items": []},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-1",
    )
    assert response.status_code == 403, response.content
    # forget-customer names its own permission, which send_commands does not grant.
    required = FORGET_SUBJECTS if endpoint == "forget-customer" else SEND_COMMANDS
    assert required in response.json()["detail"]
    assert response["X-Correlation-ID"]
    assert Event.objects.count() == 0
    assert IdempotencyRecord.objects.count() == 0


def test_the_permission_through_the_group_lets_a_user_send_commands():
    user = UserFactory(username="grace")
    client = token_client(user)
    assert command(client, "register-customer", name="Ada", email="ada@example.com").status_code == 403

    call_command("grant_command_access", "grace", stdout=StringIO())  # the operator's way (README)

    response = command(client, "register-customer", name="Ada", email="ada@example.com")
    assert response.status_code == 200, response.content
    assert Event.objects.get().metadata["user"] == "grace"


def test_revoking_takes_the_permission_away_again():
    user = UserFactory(username="grace")
    call_command("grant_command_access", "grace", stdout=StringIO())
    out = StringIO()
    call_command("grant_command_access", "grace", "--revoke", stdout=out)
    assert "removed from" in out.getvalue()
    assert command(token_client(user), "register-customer", name="A", email="a@example.com").status_code == 403
    assert Event.objects.count() == 0


def test_granting_to_an_unknown_user_changes_nothing():
    UserFactory(username="grace")
    with pytest.raises(CommandError, match="nobody"):
        call_command("grant_command_access", "grace", "nobody", stdout=StringIO())
    assert not Group.objects.get(name=COMMAND_SENDERS_GROUP).user_set.exists()


def test_the_permission_granted_to_the_user_directly_works_too():
    user = UserFactory()
    user.user_permissions.add(Permission.objects.get(codename="send_commands"))
    assert command(token_client(user), "register-customer", name="A", email="a@example.com").status_code == 200


def test_a_superuser_may_send_commands_as_in_the_readme_walkthrough():
    admin = StaffUserFactory(username="demo")
    assert command(token_client(admin), "register-customer", name="A", email="a@example.com").status_code == 200


def test_a_user_without_the_permission_can_read_everything(api, reader_api):
    customer = register_customer(api)  # written by someone allowed to
    for path in ["/api/customers/", "/api/orders/", "/api/events/", f"/api/streams/{customer}/", "/api/schema/"]:
        assert reader_api.get(path).status_code == 200, path


def concrete(path: str, operation: dict) -> str:
    """A schema path with every `{parameter}` filled with a value of its type."""
    types = {p["name"]: p.get("schema", {}).get("type") for p in operation.get("parameters", []) if p["in"] == "path"}
    return re.sub(r"\{(\w+)\}", lambda m: "1" if types.get(m.group(1)) == "integer" else str(uuid.uuid4()), path)


def test_anonymous_requests_get_401_with_detail_everywhere_under_api_but_the_token_exchange():
    # Every operation of the schema, so endpoints added later are covered too.
    schema = SchemaGenerator().get_schema(request=None, public=True)
    checked = 0
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if path in PUBLIC_PATHS:
                continue
            response = getattr(APIClient(), method)(concrete(path, operation), {}, format="json")
            assert response.status_code == 401, (method, path, response.status_code)
            assert response.json()["detail"], (method, path)
            checked += 1
    assert checked >= len(COMMAND_ENDPOINTS) + 6
    assert Event.objects.count() == 0
    # Outside the schema: the schema itself needs a login; the docs send a browser to the login page.
    assert APIClient().get("/api/schema/").status_code == 401
    assert APIClient().get("/api/docs/").status_code == 302


def test_the_admin_is_for_staff_only(user):
    # `user` may send commands, but is not staff.
    browser = Client()
    browser.force_login(user)
    for path in ["/admin/", "/admin/eventstore/event/", "/admin/auth/group/"]:
        response = browser.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/"), path


@pytest.mark.django_db
def test_the_one_query_check_agrees_with_django_has_perm(django_assert_num_queries):
    """`holds_permission` answers exactly what `user.has_perm` answers: own or group permission,
    never for an inactive user or another permission, always for an active superuser."""
    from commands_app.api.permissions import holds_permission

    send = Permission.objects.get(content_type__app_label="commands_app", codename="send_commands")
    other = Permission.objects.exclude(pk=send.pk).first()
    direct, grouped, unrelated, inactive = (UserFactory() for _ in range(4))
    direct.user_permissions.add(send)
    grouped.groups.add(Group.objects.get(name=COMMAND_SENDERS_GROUP))
    unrelated.user_permissions.add(other)
    inactive.user_permissions.add(send)
    inactive.is_active = False
    inactive.save()
    superuser = StaffUserFactory(username="root-user")
    for user, expected in ((direct, True), (grouped, True), (unrelated, False), (inactive, False), (superuser, True)):
        fresh = type(user).objects.get(pk=user.pk)  # no permission cache from the setup
        with django_assert_num_queries(1 if user.is_active and not user.is_superuser else 0):
            assert holds_permission(user, SEND_COMMANDS) is expected
        assert fresh.has_perm(SEND_COMMANDS) is expected

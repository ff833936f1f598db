"""factory-boy factories for the few rows tests create directly (users); events come from commands."""

import factory
from django.contrib.auth import get_user_model
from factory.django import DjangoModelFactory

from commands_app.api.permissions import command_senders_group


class UserFactory(DjangoModelFactory):
    """A logged-in user who may read but not send commands."""

    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("correct horse battery staple")


class CommandSenderFactory(UserFactory):
    """A user in the "command senders" group, so holding `commands_app.send_commands`, as operators grant it."""

    @factory.post_generation
    def groups(self, create: bool, extracted, **kwargs) -> None:
        if create:
            # Not the migration's row alone: a transactional test's flush deletes groups.
            self.groups.add(command_senders_group())


class StaffUserFactory(UserFactory):
    is_staff = True
    is_superuser = True

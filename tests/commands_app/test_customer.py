"""Customer: given events, when a command, then new events."""

from commands_app.domain.customer import Customer, CustomerRegistered, CustomerUpdated
from tests.commands_app.aggregate_testing import given, then

registered = CustomerRegistered(name="Ada", email="ada@example.com")


def test_register():
    customer = given(Customer)
    customer.register("Ada", "ada@example.com")
    assert then(customer) == [registered]


def test_update_only_the_name_keeps_the_email():
    customer = given(Customer, registered)
    customer.update("Ada Lovelace", None)
    assert then(customer) == [CustomerUpdated(name="Ada Lovelace", email="ada@example.com")]


def test_update_only_the_email_keeps_the_name():
    customer = given(Customer, registered)
    customer.update(None, "ada@lovelace.org")
    assert then(customer) == [CustomerUpdated(name="Ada", email="ada@lovelace.org")]
    assert customer.email == "ada@lovelace.org"

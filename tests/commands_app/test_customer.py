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


def test_an_update_that_changes_nothing_writes_no_event():
    customer = given(Customer, registered)
    customer.update("Ada", "ada@example.com")
    customer.update(None, "ada@example.com")
    assert then(customer) == []


def test_an_email_in_another_case_is_a_change_of_the_customer():
    customer = given(Customer, registered)
    customer.update(None, "Ada@Example.com")
    assert then(customer) == [CustomerUpdated(name="Ada", email="Ada@Example.com")]

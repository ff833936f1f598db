"""Which domain method each command runs, registered on a bus."""

from commands_app.domain import commands as c
from commands_app.domain.customer import Customer
from commands_app.domain.order import Order
from commands_app.domain.product import Product, StockHold, stock_hold_stream_id
from commands_app.framework.bus import CommandBus
from commands_app.framework.errors import DomainError
from commands_app.framework.handlers import AggregateHandler
from commands_app.framework.repository import AggregateRepository


def place_order(order: Order, command: c.PlaceOrder, repository: AggregateRepository) -> None:
    # The write side decides from the event store only, never from a read model.
    customer = repository.load(Customer, command.customer_id)
    if not customer.exists:
        raise DomainError(f"No customer with id {command.customer_id}; register the customer first.")
    customer.check_not_forgotten()
    order.place(command.customer_id, command.items)


def forget_customer(customer: Customer, command: c.ForgetCustomer, repository: AggregateRepository) -> None:
    """Destroy the customer's key and record it; forgetting a forgotten customer writes nothing (200)."""
    if not customer.forget():
        return
    # Same transaction as the CustomerForgotten event: a conflict rolls the key's deletion back too.
    repository.forget_subject(customer.id)
    release_personal_reservations(customer.id)


def release_personal_reservations(customer_id: str) -> None:
    """Hook: free whatever else holds the customer's personal data on the write side.

    TODO(#15): release the customer's unique-email reservation here, so the address can be
    registered again and the reservation row no longer holds it.
    """


def hold_of(product: Product, command: c.OrderStockCommand, repository: AggregateRepository) -> StockHold:
    """The order's hold of this product, as its own stream says (a few events: never snapshotted)."""
    return repository.load(StockHold, stock_hold_stream_id(product.sku, command.order_id))


def reserve_stock(product: Product, command: c.ReserveStock, repository: AggregateRepository) -> list[StockHold]:
    hold = hold_of(product, command, repository)
    product.reserve(command.order_id, command.quantity, hold)
    return [hold]


def release_stock(product: Product, command: c.ReleaseStock, repository: AggregateRepository) -> list[StockHold]:
    hold = hold_of(product, command, repository)
    product.release(command.order_id, hold)
    return [hold]


def ship_reserved_stock(
    product: Product, command: c.ShipReservedStock, repository: AggregateRepository
) -> list[StockHold]:
    hold = hold_of(product, command, repository)
    product.ship_reserved(command.order_id, hold)
    return [hold]


def register_domain_handlers(bus: CommandBus, repository: AggregateRepository) -> None:
    def handler(aggregate_type, execute, creates=False):  # noqa: ANN001, ANN202 - local shorthand
        return AggregateHandler(aggregate_type, execute, repository, creates=creates)

    bus.register(c.RegisterCustomer, handler(Customer, lambda a, cmd, _: a.register(cmd.name, cmd.email), creates=True))
    bus.register(c.UpdateCustomer, handler(Customer, lambda a, cmd, _: a.update(cmd.name, cmd.email)))
    bus.register(c.ForgetCustomer, handler(Customer, forget_customer))
    bus.register(c.PlaceOrder, handler(Order, place_order, creates=True))
    bus.register(c.AddItem, handler(Order, lambda a, cmd, _: a.add_item(cmd.sku, cmd.quantity, cmd.unit_price)))
    bus.register(c.RemoveItem, handler(Order, lambda a, cmd, _: a.remove_item(cmd.sku)))
    bus.register(c.ShipOrder, handler(Order, lambda a, cmd, _: a.ship()))
    bus.register(c.CancelOrder, handler(Order, lambda a, cmd, _: a.cancel(cmd.reason)))
    bus.register(c.ConfirmOrder, handler(Order, lambda a, cmd, _: a.confirm()))
    bus.register(c.AddProduct, handler(Product, lambda a, cmd, _: a.add(cmd.sku, cmd.name, cmd.price), creates=True))
    bus.register(c.RestockProduct, handler(Product, lambda a, cmd, _: a.restock(cmd.quantity)))
    # The stock commands change the product and the order's hold of it, in one transaction.
    bus.register(c.ReserveStock, handler(Product, reserve_stock))
    bus.register(c.ReleaseStock, handler(Product, release_stock))
    bus.register(c.ShipReservedStock, handler(Product, ship_reserved_stock))

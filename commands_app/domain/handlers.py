"""Which domain method each command runs, registered on a bus."""

from commands_app.domain import commands as c
from commands_app.domain.customer import Customer
from commands_app.domain.order import Order
from commands_app.domain.product import Product
from commands_app.framework.bus import CommandBus
from commands_app.framework.errors import DomainError
from commands_app.framework.handlers import AggregateHandler
from commands_app.framework.repository import AggregateRepository


def place_order(order: Order, command: c.PlaceOrder, repository: AggregateRepository) -> None:
    # The write side decides from the event store only, never from a read model.
    if not repository.load(Customer, command.customer_id).exists:
        raise DomainError(f"No customer with id {command.customer_id}; register the customer first.")
    order.place(command.customer_id, command.items)


def register_domain_handlers(bus: CommandBus, repository: AggregateRepository) -> None:
    def handler(aggregate_type, execute, creates=False):  # noqa: ANN001, ANN202 - local shorthand
        return AggregateHandler(aggregate_type, execute, repository, creates=creates)

    bus.register(c.RegisterCustomer, handler(Customer, lambda a, cmd, _: a.register(cmd.name, cmd.email), creates=True))
    bus.register(c.UpdateCustomer, handler(Customer, lambda a, cmd, _: a.update(cmd.name, cmd.email)))
    bus.register(c.PlaceOrder, handler(Order, place_order, creates=True))
    bus.register(c.AddItem, handler(Order, lambda a, cmd, _: a.add_item(cmd.sku, cmd.quantity, cmd.unit_price)))
    bus.register(c.RemoveItem, handler(Order, lambda a, cmd, _: a.remove_item(cmd.sku)))
    bus.register(c.ShipOrder, handler(Order, lambda a, cmd, _: a.ship()))
    bus.register(c.CancelOrder, handler(Order, lambda a, cmd, _: a.cancel(cmd.reason)))
    bus.register(c.ConfirmOrder, handler(Order, lambda a, cmd, _: a.confirm()))
    bus.register(c.AddProduct, handler(Product, lambda a, cmd, _: a.add(cmd.sku, cmd.name, cmd.price), creates=True))
    bus.register(c.RestockProduct, handler(Product, lambda a, cmd, _: a.restock(cmd.quantity)))
    bus.register(c.ReserveStock, handler(Product, lambda a, cmd, _: a.reserve(cmd.order_id, cmd.quantity)))
    bus.register(c.ReleaseStock, handler(Product, lambda a, cmd, _: a.release(cmd.order_id)))
    bus.register(c.ShipReservedStock, handler(Product, lambda a, cmd, _: a.ship_reserved(cmd.order_id)))

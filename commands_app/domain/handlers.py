"""Which domain method each command runs, registered on a bus."""

from decimal import Decimal

from commands_app.domain import commands as c
from commands_app.domain.customer import Customer
from commands_app.domain.order import Order, OrderLine
from commands_app.domain.product import Product, StockHold, product_stream_id, stock_hold_stream_id
from commands_app.email_reservations import change_email, claim_email, release_email_reservation
from commands_app.framework.bus import CommandBus
from commands_app.framework.errors import DomainError
from commands_app.framework.handlers import AggregateHandler
from commands_app.framework.repository import AggregateRepository


def catalogue_line(repository: AggregateRepository, sku: str, quantity: int, asked: Decimal | None) -> OrderLine:
    """A new order line at the catalogue's price, read from the product's stream (never a read model).

    The rule lives here, in the handler, rather than in the saga: the client hears at once (422
    with both prices) instead of seeing its order cancelled later, and the order's event records
    the price used, so a later price change never alters a placed order.
    """
    product = repository.load(Product, product_stream_id(sku))
    if not product.exists:
        raise DomainError(f"No product with sku {sku!r}; add it to the catalogue first.")
    return OrderLine(sku=sku, quantity=quantity, unit_price=product.line_price(asked))


def place_order(order: Order, command: c.PlaceOrder, repository: AggregateRepository) -> None:
    # The write side decides from the event store only, never from a read model.
    customer = repository.load(Customer, command.customer_id)
    if not customer.exists:
        raise DomainError(f"No customer with id {command.customer_id}; register the customer first.")
    customer.check_not_forgotten()
    lines = tuple(catalogue_line(repository, line.sku, line.quantity, line.unit_price) for line in command.items)
    order.place(command.customer_id, lines)


def add_item(order: Order, command: c.AddItem, repository: AggregateRepository) -> None:
    order.check_open()  # a shipped order is refused as such, whatever its product's state
    line = catalogue_line(repository, command.sku, command.quantity, command.unit_price)
    order.add_item(line.sku, line.quantity, line.unit_price)


def register_customer(customer: Customer, command: c.RegisterCustomer, repository: AggregateRepository) -> None:
    # The address is claimed in the transaction that appends the event (`email_reservations`).
    claim_email(command.customer_id, command.email, using=repository.store.using)
    customer.register(command.name, command.email)


def update_customer(customer: Customer, command: c.UpdateCustomer, repository: AggregateRepository) -> None:
    customer.check_not_forgotten()  # before its address is touched
    if command.email is not None:
        change_email(customer.id, customer.email, command.email, using=repository.store.using)
    customer.update(command.name, command.email)


def forget_customer(customer: Customer, command: c.ForgetCustomer, repository: AggregateRepository) -> None:
    """Destroy the customer's key and record it; forgetting a forgotten customer writes nothing (200)."""
    if not customer.forget():
        return
    # Same transaction as the CustomerForgotten event: a conflict rolls the key's deletion back too.
    repository.forget_subject(customer.id)
    release_personal_reservations(customer.id, using=repository.store.using)


def release_personal_reservations(customer_id: str, using: str) -> None:
    """Free what else holds the customer's personal data on the write side: their email's
    reservation (`email_reservations`), so the address can be registered again."""
    release_email_reservation(customer_id, using=using)


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

    bus.register(c.RegisterCustomer, handler(Customer, register_customer, creates=True))
    bus.register(c.UpdateCustomer, handler(Customer, update_customer))
    bus.register(c.ForgetCustomer, handler(Customer, forget_customer))
    bus.register(c.PlaceOrder, handler(Order, place_order, creates=True))
    bus.register(c.AddItem, handler(Order, add_item))
    bus.register(c.RemoveItem, handler(Order, lambda a, cmd, _: a.remove_item(cmd.sku)))
    bus.register(c.ShipOrder, handler(Order, lambda a, cmd, _: a.ship()))
    bus.register(c.CancelOrder, handler(Order, lambda a, cmd, _: a.cancel(cmd.reason)))
    bus.register(c.ConfirmOrder, handler(Order, lambda a, cmd, _: a.confirm()))
    bus.register(c.AddProduct, handler(Product, lambda a, cmd, _: a.add(cmd.sku, cmd.name, cmd.price), creates=True))
    bus.register(c.RestockProduct, handler(Product, lambda a, cmd, _: a.restock(cmd.quantity)))
    bus.register(c.ChangeProductPrice, handler(Product, lambda a, cmd, _: a.change_price(cmd.price)))
    bus.register(c.RenameProduct, handler(Product, lambda a, cmd, _: a.rename(cmd.name)))
    bus.register(c.DiscontinueProduct, handler(Product, lambda a, cmd, _: a.discontinue()))
    bus.register(c.WriteOffStock, handler(Product, lambda a, cmd, _: a.write_off(cmd.quantity, cmd.reason)))
    # The stock commands change the product and the order's hold of it, in one transaction.
    bus.register(c.ReserveStock, handler(Product, reserve_stock))
    bus.register(c.ReleaseStock, handler(Product, release_stock))
    bus.register(c.ShipReservedStock, handler(Product, ship_reserved_stock))

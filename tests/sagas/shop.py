"""Building blocks for the saga suites: a customer, stocked products, orders, and the saga's run."""

import uuid
from decimal import Decimal

from commands_app.domain import commands as c
from commands_app.domain.order import Order, OrderLine
from commands_app.domain.product import Product, StockHold, product_stream_id, stock_hold_stream_id
from commands_app.framework.bus import CommandContext
from commands_app.wiring import aggregate_repository, command_bus
from eventstore.models import Event
from eventstore.subscriptions import catch_up, get_subscriber


def customer() -> uuid.UUID:
    customer_id = uuid.uuid4()
    command_bus().dispatch(
        c.RegisterCustomer(customer_id=customer_id, name="Ada", email=f"ada-{customer_id.hex}@example.com")
    )
    return customer_id


def product(sku: str, on_hand: int, price: str = "2.50") -> None:
    command_bus().dispatch(c.AddProduct(sku=sku, name=f"The {sku.lower()}", price=Decimal(price)))
    if on_hand:
        command_bus().dispatch(c.RestockProduct(sku=sku, quantity=on_hand))


def place(customer_id: uuid.UUID, correlation_id: str | None = None, **quantities: int) -> str:
    """Place an order of `sku=quantity` lines; its id."""
    order_id = uuid.uuid4()
    lines = tuple(c.RequestedLine(sku, quantity) for sku, quantity in quantities.items())  # catalogue prices
    context = CommandContext(user="customer")
    if correlation_id:
        context = CommandContext(user="customer", correlation_id=correlation_id)
    command_bus().dispatch(c.PlaceOrder(order_id=order_id, customer_id=customer_id, items=lines), context)
    return str(order_id)


def placed_before_the_catalogue_rule(customer_id: uuid.UUID, **quantities: int) -> str:
    """An order written straight to its stream at 2.50 a unit, as orders were before prices came from the
    catalogue (no product need exist); its id."""
    order = Order(uuid.uuid4())
    order.place(customer_id, tuple(OrderLine(sku, quantity, Decimal("2.50")) for sku, quantity in quantities.items()))
    aggregate_repository().save(order, {"command": "place-order", "user": "customer"})
    return order.id


def run_saga(batch_size: int | None = None) -> int:
    """One catch-up of the saga, in this process, as a worker runs it."""
    return catch_up(get_subscriber("order_fulfilment"), batch_size)


def stock(sku: str) -> Product:
    return aggregate_repository().load(Product, product_stream_id(sku))


def held(sku: str, order_id: str) -> int:
    """Units of `sku` held for the order, as the write side decides it (its hold stream, or a legacy hold)."""
    hold = aggregate_repository().load(StockHold, stock_hold_stream_id(sku, order_id))
    return stock(sku).held_for(order_id, hold)


def status(order_id: str) -> str | None:
    """The order's status as its events say (the write side's truth, not a read model)."""
    return aggregate_repository().load(Order, order_id).status


def cancel_reason(order_id: str) -> str | None:
    event = Event.objects.filter(stream_id=order_id, event_type="OrderCancelled").first()
    return None if event is None else event.data["reason"]

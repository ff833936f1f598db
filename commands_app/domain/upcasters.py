"""Upcasters of the domain's stored events: old payload shapes to the current ones, one version at a time.

Listed in `settings.EVENTSTORE_UPCASTERS`, so the event store applies them on every read:
aggregates and projections only ever see the current shape. They work on stored JSON, not on
event classes, because they must keep working after a class has moved on.
"""

from decimal import Decimal

from commands_app.domain.order import OrderLine, lines_total
from eventstore.upcasting import Upcasters

upcasters = Upcasters()


@upcasters.register("OrderPlaced", from_version=1)
def order_placed_gains_total(data: dict) -> dict:
    """Schema 2 added `total` (money as a string), the sum of the lines as placed."""
    lines = (OrderLine(line["sku"], int(line["quantity"]), Decimal(str(line["unit_price"]))) for line in data["lines"])
    return {**data, "total": str(lines_total(lines))}  # the aggregate's own sum: one formula for a total


@upcasters.register("ItemAdded", from_version=1)
@upcasters.register("ItemRemoved", from_version=1)
def line_change_gains_total(data: dict) -> dict:
    """Schema 2 added `total`, the order's total after the change, and `OrderReopened` after a
    change of a confirmed order. A schema-1 row alone cannot tell either (both need the stream's
    earlier events): `None` says "not recorded", and each reader falls back to what schema 1
    implied from the state it keeps (`Order` and the projections, each in one marked place)."""
    return {**data, "total": None}


@upcasters.register("StockReserved", from_version=1)
@upcasters.register("StockReleased", from_version=1)
@upcasters.register("StockShipped", from_version=1)
def stock_change_gains_held(data: dict) -> dict:
    """Schema 2 added `held`, what the order holds after the change, written with the order's
    own `StockHold` stream. Schema 1 recorded holds in the product stream alone: `None` says so,
    and `Product` keeps such holds in `legacy_holds`."""
    return {**data, "held": None}

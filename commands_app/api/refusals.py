"""Every command's refusals, declared once: the OpenAPI document, the README and docs/commands.md say the same.

`REFUSALS[command_type]` lists what refuses that command beyond the refusals every command
shares (400 invalid input, 401/403, 409 on a given `expected_version`, 413, 415, 429, 500, 503).
Each `Refusal` has its status, a `short` phrase (the README's command table prints
`"<status> <short>"`), the fuller `when` the schema puts under that status, and `where` the
rule lives in the code (docs/commands.md's table). `tests/api/test_refusals.py` checks the
schema, the README and docs/commands.md against this list, so none of them can drift.
"""

from dataclasses import dataclass

from commands_app.domain import limits


@dataclass(frozen=True)
class Refusal:
    status: int
    short: str
    when: str
    where: str


def unknown(noun: str, field: str) -> Refusal:
    """404: the command names an aggregate its stream type has no stream for."""
    return Refusal(404, f"no such {noun}", f"No {noun} has this `{field}`.", "AggregateHandler")


def id_taken(noun: str, field: str) -> Refusal:
    """409: a creating command names an id that already has a stream."""
    article = "An" if noun[0] in "aeiou" else "A"
    return Refusal(409, "id taken", f"{article} {noun} with this `{field}` exists.", "AggregateHandler.create")


UNKNOWN_CUSTOMER = unknown("customer", "customer_id")
UNKNOWN_ORDER = unknown("order", "order_id")
UNKNOWN_PRODUCT = unknown("product", "sku")
EMAIL_TAKEN = Refusal(
    409,
    "email taken",
    "Another customer holds this email (compared without regard to case); `errors.email` names the field.",
    "email_reservations.claim_email",
)
ORDER_CLOSED = Refusal(422, "order closed", "The order is already shipped or cancelled.", "Order.check_open")
NO_PRODUCT_FOR_LINE = Refusal(
    422, "sku is no product", "A line's sku is no product in the catalogue.", "handlers.catalogue_line"
)
NOT_THE_CATALOGUE_PRICE = Refusal(
    422,
    "not the catalogue price",
    "A line's `unit_price` is given and is not the product's catalogue price; `detail` names both prices.",
    "Product.line_price",
)
DISCONTINUED = Refusal(422, "product discontinued", "A line is for a discontinued product.", "Product.check_on_sale")
FORGOTTEN = Refusal(
    422,
    "customer forgotten",
    "The customer was forgotten (their personal data erased); nothing may change them or order for them.",
    "Customer.check_not_forgotten",
)

REFUSALS: dict[str, tuple[Refusal, ...]] = {
    "register-customer": (
        id_taken("customer", "customer_id"),
        EMAIL_TAKEN,
    ),
    "update-customer": (UNKNOWN_CUSTOMER, EMAIL_TAKEN, FORGOTTEN),
    "forget-customer": (UNKNOWN_CUSTOMER,),
    "place-order": (
        id_taken("order", "order_id"),
        Refusal(422, "unknown customer", "No customer has this `customer_id`.", "handlers.place_order"),
        FORGOTTEN,
        NO_PRODUCT_FOR_LINE,
        NOT_THE_CATALOGUE_PRICE,
        DISCONTINUED,
    ),
    "add-item": (
        UNKNOWN_ORDER,
        ORDER_CLOSED,
        NO_PRODUCT_FOR_LINE,
        NOT_THE_CATALOGUE_PRICE,
        DISCONTINUED,
        Refusal(
            422,
            "sku on the order at another price",
            "The sku is on the order already at another price (the catalogue's price changed since): "
            "remove the line first.",
            "Order.add_item",
        ),
        Refusal(
            422,
            "line too big",
            f"The line would pass {limits.MAX_QUANTITY:,} units.",
            "Order.add_item",
        ),
    ),
    "remove-item": (
        UNKNOWN_ORDER,
        ORDER_CLOSED,
        Refusal(422, "sku not on the order", "The sku is not on the order.", "Order.remove_item"),
    ),
    "ship-order": (
        UNKNOWN_ORDER,
        ORDER_CLOSED,
        Refusal(422, "empty order", "The order has no lines.", "Order.check_not_empty"),
        Refusal(
            422,
            "not confirmed",
            "The order is `placed`: the saga has not reserved its stock yet.",
            "Order.ship",
        ),
    ),
    "cancel-order": (UNKNOWN_ORDER, ORDER_CLOSED),
    "add-product": (Refusal(409, "sku taken", "A product with this sku exists.", "AggregateHandler.create"),),
    "restock-product": (
        UNKNOWN_PRODUCT,
        Refusal(
            422,
            "stock limit",
            f"Units on hand would pass {limits.MAX_STOCK:,}.",
            "Product.restock",
        ),
    ),
    "change-product-price": (UNKNOWN_PRODUCT,),
    "rename-product": (UNKNOWN_PRODUCT,),
    "discontinue-product": (UNKNOWN_PRODUCT,),
    "write-off-stock": (
        UNKNOWN_PRODUCT,
        Refusal(
            422,
            "more than is not reserved",
            "More units than are on hand and not reserved for orders (`on_hand - reserved`).",
            "Product.write_off",
        ),
    ),
}


def refusals_of(command_type: str, status: int) -> list[Refusal]:
    """The refusals of one command with one status, in the order declared."""
    return [refusal for refusal in REFUSALS.get(command_type, ()) if refusal.status == status]

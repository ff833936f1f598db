"""Reading values out of stored event data (JSON), where money is a string."""

from collections.abc import Iterable
from decimal import Decimal


def money(value: str | int) -> Decimal:
    return Decimal(str(value))


def line_amount(line: dict) -> Decimal:
    return int(line["quantity"]) * money(line["unit_price"])


def lines_total(lines: Iterable[dict]) -> Decimal:
    return sum((line_amount(line) for line in lines), Decimal("0"))

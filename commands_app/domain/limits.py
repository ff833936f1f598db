"""Input limits that a command checks on its own (400); the HTTP serializers use the same."""

import re
from decimal import Decimal

MAX_QUANTITY = 1_000_000
MIN_PRICE = Decimal("0")
MAX_PRICE = Decimal("1000000")
PRICE_DECIMAL_PLACES = 2
# Exactly the amount strings the API takes, 0 to MAX_PRICE with at most two decimal places
# (no sign, exponent, spaces or leading point); the schema states it, the serializer checks it.
PRICE_PATTERN = r"(?:[0-9]{1,6}(?:\.[0-9]{1,2})?|1000000(?:\.0{1,2})?)"
MAX_SKU_LENGTH = 64
# A sku is a path segment of /api/products/<sku>/ and /api/streams/product:<sku>/, so only
# characters that need no encoding there, and never "." or ".." (which clients resolve away).
SKU_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
SKU_RULE = (
    f"1 to {MAX_SKU_LENGTH} characters: letters A-Z and a-z, digits, '-', '_' and '.', starting with a letter or digit."
)
MAX_NAME_LENGTH = 200
MAX_EMAIL_LENGTH = 254
MAX_REASON_LENGTH = 500
MAX_LINES_PER_ORDER = 200
# Units a product may hold on hand (the read model stores it as a 32-bit integer).
MAX_STOCK = 1_000_000_000

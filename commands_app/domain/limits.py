"""Input limits that a command checks on its own (400); the HTTP serializers use the same."""

from decimal import Decimal

MAX_QUANTITY = 1_000_000
MIN_PRICE = Decimal("0")
MAX_PRICE = Decimal("1000000")
PRICE_DECIMAL_PLACES = 2
MAX_SKU_LENGTH = 64
MAX_NAME_LENGTH = 200
MAX_EMAIL_LENGTH = 254
MAX_REASON_LENGTH = 500
MAX_LINES_PER_ORDER = 200
# Units a product may hold on hand (the read model stores it as a 32-bit integer).
MAX_STOCK = 1_000_000_000

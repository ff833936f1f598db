"""Read models: plain tables shaped for the screens that read them, written only by projections."""

from django.db import models


class CustomerView(models.Model):
    """One customer, with figures over their orders."""

    id = models.UUIDField(primary_key=True)
    name = models.CharField(max_length=200)
    email = models.CharField(max_length=254)
    order_count = models.PositiveIntegerField(default=0)
    total_spent = models.DecimalField(max_digits=20, decimal_places=2, default=0)
    registered_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    version = models.PositiveIntegerField()
    # Erased on request (CustomerForgotten): name and email are blank, the figures stay.
    forgotten = models.BooleanField(default=False)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["email"])]

    def __str__(self) -> str:
        return self.name


class CustomerOrderTotal(models.Model):
    """Per order, what the customer view needs to keep `total_spent` right (its own copy)."""

    order_id = models.UUIDField(primary_key=True)
    customer_id = models.UUIDField(db_index=True)
    total = models.DecimalField(max_digits=20, decimal_places=2, default=0)
    cancelled = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"order {self.order_id}: {self.total}"


class OrderSummary(models.Model):
    """One order, denormalized: the customer's name, item count and total are on the row."""

    class Status(models.TextChoices):
        PLACED = "placed"
        CONFIRMED = "confirmed"
        SHIPPED = "shipped"
        CANCELLED = "cancelled"

    id = models.UUIDField(primary_key=True)
    customer_id = models.UUIDField()
    customer_name = models.CharField(max_length=200)
    item_count = models.PositiveIntegerField(default=0)
    total = models.DecimalField(max_digits=20, decimal_places=2, default=0)
    status = models.CharField(max_length=20, choices=Status.choices)
    cancel_reason = models.CharField(max_length=500, blank=True)
    placed_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    version = models.PositiveIntegerField()

    class Meta:
        verbose_name_plural = "order summaries"
        ordering = ["-placed_at", "id"]
        indexes = [
            models.Index(fields=["status", "-placed_at"]),
            models.Index(fields=["customer_id", "-placed_at"]),
            models.Index(fields=["-placed_at"]),
            models.Index(fields=["total"]),
        ]

    def __str__(self) -> str:
        return f"order {self.id}"


class OrderSummaryLine(models.Model):
    # No database constraint: the projection keeps lines and orders consistent, and a
    # deferred foreign-key check per inserted line made every batch's commit slow.
    order = models.ForeignKey(OrderSummary, on_delete=models.CASCADE, related_name="lines", db_constraint=False)
    sku = models.CharField(max_length=64)
    quantity = models.PositiveIntegerField()
    unit_price = models.DecimalField(max_digits=9, decimal_places=2)

    class Meta:
        ordering = ["sku"]
        constraints = [models.UniqueConstraint(fields=["order", "sku"], name="order_line_sku_unique")]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.sku}"


class OrderCustomerName(models.Model):
    """The order projection's own copy of customer names, so it never reads another projection."""

    customer_id = models.UUIDField(primary_key=True)
    name = models.CharField(max_length=200)

    def __str__(self) -> str:
        return self.name


class ProductStock(models.Model):
    """One product: its name, price and stock, with what is held for orders and what is left to sell."""

    sku = models.CharField(primary_key=True, max_length=64)
    stream_id = models.CharField(max_length=128, unique=True)  # how events name the product
    name = models.CharField(max_length=200)
    price = models.DecimalField(max_digits=9, decimal_places=2)
    on_hand = models.PositiveIntegerField(default=0)
    reserved = models.PositiveIntegerField(default=0)
    available = models.IntegerField(default=0)  # on_hand - reserved, stored so it can be filtered and sorted
    discontinued = models.BooleanField(default=False, help_text="Off sale: new order lines are refused.")
    written_off = models.PositiveIntegerField(default=0, help_text="Units written off (damaged, lost) in all.")
    added_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    version = models.PositiveIntegerField()

    class Meta:
        ordering = ["sku"]
        indexes = [models.Index(fields=["available"]), models.Index(fields=["name"])]

    def __str__(self) -> str:
        return self.sku

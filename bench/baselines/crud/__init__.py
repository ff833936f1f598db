"""What a user would write without CQRS: a plain DRF `ModelViewSet` over a plain table."""

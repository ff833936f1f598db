"""The event store: subscribers, retries, snapshots, upcasters, the admin's state replay."""

import os

EVENTSTORE_BATCH_SIZE = int(os.environ.get("EVENTSTORE_BATCH_SIZE", "500"))
# A subscriber whose handler raises retries that event this many times, with exponential
# backoff, before it stops in state `failed` (an operator then retries or skips it).
EVENTSTORE_HANDLER_RETRIES = int(os.environ.get("EVENTSTORE_HANDLER_RETRIES", "3"))
EVENTSTORE_RETRY_BACKOFF_SECONDS = float(os.environ.get("EVENTSTORE_RETRY_BACKOFF_SECONDS", "0.2"))
EVENTSTORE_SUBSCRIBERS = [
    "queries_app.projections.customer_view.CustomerViewProjection",
    "queries_app.projections.order_summary.OrderSummaryProjection",
    "queries_app.projections.product_stock.ProductStockProjection",
    "commands_app.domain.fulfilment.OrderFulfilment",  # the saga: reserves stock, confirms or cancels orders
]
# A comma-separated list replaces it (the benchmark runs the projections alone).
if os.environ.get("EVENTSTORE_SUBSCRIBERS"):
    EVENTSTORE_SUBSCRIBERS = [path.strip() for path in os.environ["EVENTSTORE_SUBSCRIBERS"].split(",") if path.strip()]

# Every N events of a stream of a snapshotted type, the append also stores a snapshot of the
# aggregate's state; loads start from the latest one. 0 turns snapshots off. The domain names
# its snapshotted stream types (`eventstore.snapshots.snapshotted`); a dict of stream type to
# N here instead snapshots exactly the types it lists.
EVENTSTORE_SNAPSHOT_EVERY: int | dict[str, int] = int(os.environ.get("EVENTSTORE_SNAPSHOT_EVERY", "50"))
# `eventstore.upcasting.Upcasters` registries, applied to every event the store reads.
EVENTSTORE_UPCASTERS = ["commands_app.domain.upcasters.upcasters"]

# The admin's stream page:
# The event store cannot import the domain; this callable turns a run of one stream's events
# into the aggregate's state after each (eventstore.stream_history describes the contract).
EVENTSTORE_STATE_REPLAYER = "commands_app.replay.states_after_each"

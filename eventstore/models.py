"""Database tables of the event store: the event log itself and subscriber checkpoints."""

import uuid

from django.db import models
from django.db.models.fields.json import KeyTransform
from django.utils import timezone

from eventstore.personal.keys import DataKey

__all__ = ["MAX_POSITION", "Checkpoint", "DataKey", "Event", "SkippedEvent", "Snapshot"]

# The largest position PostgreSQL's bigint holds: a larger one in a query is a database
# error, so input beyond it is refused as a 400 first.
MAX_POSITION = 2**63 - 1


class Event(models.Model):
    """One immutable fact in the log.

    `position` is the global order; `(stream_id, version)` is unique, which is the
    optimistic-concurrency guard: two writers that loaded version 4 cannot both write 5.
    On PostgreSQL a row is inserted with a provisional, negative position and numbered as
    its transaction commits (migration 0006), so an instance saved here keeps that
    provisional `pk`: read the row again after the commit for its position.
    """

    position = models.BigAutoField(primary_key=True)
    event_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    stream_type = models.CharField(max_length=100)
    stream_id = models.CharField(max_length=128)
    version = models.PositiveIntegerField()
    event_type = models.CharField(max_length=100)
    schema_version = models.PositiveSmallIntegerField(default=1)
    data = models.JSONField()
    metadata = models.JSONField(default=dict)
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["stream_id", "version"], name="event_stream_version_unique"),
        ]
        indexes = [
            # "Everything one request caused" (events API filter, admin correlation page) without a
            # table scan. The expression is the one `metadata__correlation_id=` compiles to.
            models.Index(KeyTransform("correlation_id", "metadata"), name="event_correlation_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.position} {self.event_type} {self.stream_type}/{self.stream_id}@{self.version}"


class Checkpoint(models.Model):
    """How far one subscriber (a projection, later a saga) has handled the log, and its health.

    Written in the same transaction as the subscriber's effects, so a replayed or
    duplicated wake-up can never apply an event twice.
    """

    class State(models.TextChoices):
        RUNNING = "running"
        FAILED = "failed"
        REBUILDING = "rebuilding"

    name = models.CharField(max_length=100, primary_key=True)
    position = models.BigIntegerField(default=0)
    state = models.CharField(max_length=20, choices=State.choices, default=State.RUNNING)
    failed_position = models.BigIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_traceback = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name} @ {self.position} ({self.state})"


class SkippedEvent(models.Model):
    """An operator's decision to let a subscriber pass an event it cannot handle: who, when, why."""

    subscriber = models.CharField(max_length=100)
    position = models.BigIntegerField()
    event_id = models.UUIDField(null=True)
    event_type = models.CharField(max_length=100)
    error = models.TextField(blank=True)
    skipped_by = models.CharField(max_length=150)
    reason = models.TextField()
    skipped_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-skipped_at"]

    def __str__(self) -> str:
        return f"{self.subscriber} skipped #{self.position} ({self.event_type})"


class Snapshot(models.Model):
    """An aggregate's state at one version, so a load replays only the events after it.

    A cache, never a source of truth: `schema_version` is the aggregate class's snapshot
    schema when it was written, and a snapshot whose schema no longer matches is ignored.
    Unlike events, snapshots may be deleted at any time; loads fall back to a full replay.
    """

    stream_id = models.CharField(max_length=128)
    stream_type = models.CharField(max_length=100)
    version = models.PositiveIntegerField()
    schema_version = models.PositiveSmallIntegerField()
    state = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["stream_id", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["stream_id", "version"], name="snapshot_stream_version_unique"),
        ]

    def __str__(self) -> str:
        return f"snapshot {self.stream_type}/{self.stream_id}@{self.version} (schema {self.schema_version})"


class Rebuild(models.Model):
    """A blue/green rebuild of one projection: its new generation's own checkpoint and progress.

    The new generation's tables live in `schema` until they are swapped into place
    (`eventstore.generations`). `position` moves in the same transaction as each chunk's
    rows, so a rebuild that dies resumes from its last committed chunk.
    """

    class State(models.TextChoices):
        BUILDING = "building"
        DONE = "done"

    name = models.CharField(max_length=100, primary_key=True)
    state = models.CharField(max_length=20, choices=State.choices, default=State.BUILDING)
    schema = models.CharField(max_length=63, blank=True)
    shape = models.CharField(max_length=64, blank=True)  # the tables' layout it was started with
    position = models.BigIntegerField(default=0)
    head = models.BigIntegerField(default=0)  # the log's head when `position` last moved
    events = models.BigIntegerField(default=0)  # events handled, over every run of it
    run_started_at = models.DateTimeField(default=timezone.now)
    run_start_position = models.BigIntegerField(default=0)
    started_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    # The database session of the process running it: alive in pg_stat_activity while it runs.
    backend_pid = models.IntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return f"rebuild of {self.name} @ {self.position}/{self.head} ({self.state})"

    @property
    def events_per_second(self) -> float:
        """Log positions passed per second in the current (or last) run."""
        end = self.finished_at or self.updated_at
        seconds = (end - self.run_started_at).total_seconds()
        return (self.position - self.run_start_position) / seconds if seconds > 0 else 0.0

    @property
    def eta_seconds(self) -> float | None:
        """Seconds left at this run's speed; None until it has a speed, 0 once done."""
        if self.state == self.State.DONE:
            return 0.0
        rate = self.events_per_second
        return round(max(self.head - self.position, 0) / rate, 1) if rate else None

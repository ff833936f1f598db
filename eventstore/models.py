"""Database tables of the event store: the event log itself and subscriber checkpoints."""

import uuid

from django.db import models
from django.utils import timezone


class Event(models.Model):
    """One immutable fact in the log.

    `position` is the global order; `(stream_id, version)` is unique, which is the
    optimistic-concurrency guard: two writers that loaded version 4 cannot both write 5.
    """

    position = models.BigAutoField(primary_key=True)
    event_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    stream_type = models.CharField(max_length=100, db_index=True)
    stream_id = models.CharField(max_length=128)
    version = models.PositiveIntegerField()
    event_type = models.CharField(max_length=100, db_index=True)
    schema_version = models.PositiveSmallIntegerField(default=1)
    data = models.JSONField()
    metadata = models.JSONField(default=dict)
    recorded_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["stream_id", "version"], name="event_stream_version_unique"),
        ]

    def __str__(self) -> str:
        return f"#{self.position} {self.event_type} {self.stream_type}/{self.stream_id}@{self.version}"


class Checkpoint(models.Model):
    """How far one subscriber (a projection, later a saga) has handled the log.

    Written in the same transaction as the subscriber's effects, so a replayed or
    duplicated wake-up can never apply an event twice.
    """

    name = models.CharField(max_length=100, primary_key=True)
    position = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name} @ {self.position}"

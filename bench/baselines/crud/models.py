"""A table of the event table's shape, written with a plain `ModelViewSet.create` (row 5)."""

import uuid

from django.db import models
from django.utils import timezone


class CrudEvent(models.Model):
    """The same columns, indexes and uniqueness as `eventstore.Event`, nothing else."""

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
        constraints = [models.UniqueConstraint(fields=["stream_id", "version"], name="crud_stream_version_unique")]

    def __str__(self) -> str:
        return f"#{self.position} {self.event_type} {self.stream_id}@{self.version}"

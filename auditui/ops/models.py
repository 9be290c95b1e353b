"""What the status page reads: heartbeats of the background processes and retention runs."""

from __future__ import annotations

from django.db import models


class Heartbeat(models.Model):
    """The last sign of life of one background process kind: ``worker`` (a task it ran) or
    ``beat`` (a tick it sent). One row per kind, overwritten: the table never grows."""

    name = models.CharField(max_length=32, unique=True)
    at = models.DateTimeField()
    host = models.CharField(max_length=255, blank=True)

    def __str__(self) -> str:
        return f"{self.name} at {self.at.isoformat()}"


class RetentionRun(models.Model):
    """One run of the nightly retention: when, up to which cutoff, how many events it removed."""

    task_id = models.CharField(max_length=64, blank=True, db_index=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    cutoff = models.DateTimeField()
    removed = models.BigIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"retention {self.started_at.isoformat()}: {self.removed} removed"

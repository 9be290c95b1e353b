"""Stored snapshots of a cluster's rebuilt state, so a rebuild replays from the last one."""

from __future__ import annotations

from django.db import models


class StateSnapshot(models.Model):
    """A cluster's whole state (``ClusterState.to_json()``) at one instant.

    ``daily``: rebuilt from events by the beat task (or on demand), at midnight UTC;
    ``imported``: a ``kubectl get -o json`` taken as the state at its instant (the rebuilt state
    with the imported kinds replaced)."""

    DAILY = "daily"
    IMPORTED = "imported"
    SOURCES = [(DAILY, "rebuilt from events"), (IMPORTED, "imported from kubectl")]

    cluster = models.CharField(max_length=253)
    at = models.DateTimeField()
    source = models.CharField(max_length=16, choices=SOURCES, default=DAILY)
    state = models.JSONField()
    object_count = models.PositiveIntegerField(default=0)  # how many objects it holds, for the admin
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["cluster", "at", "source"], name="state_snapshot_unique")]
        indexes = [models.Index(fields=["cluster", "-at"], name="state_snapshot_latest")]
        ordering = ["cluster", "-at"]

    def __str__(self) -> str:
        return f"{self.cluster} at {self.at:%Y-%m-%d %H:%M} ({self.source})"

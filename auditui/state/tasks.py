"""Celery tasks of the cluster state: thin, they call the snapshot service."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from auditui.state import snapshots


@shared_task(name="auditui.state.tasks.take_daily_snapshots")
def take_daily_snapshots() -> int:
    """Today's midnight snapshot of each cluster that lacks one (a repeated tick does nothing),
    then those past retention go."""
    now = timezone.now()
    taken = snapshots.snapshots_take_daily(now=now)
    snapshots.snapshots_prune(now=now)
    return len(taken)

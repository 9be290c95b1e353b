"""Retention runs recorded for the status page: the nightly purge task
(``auditui.events.tasks.purge_expired_events``) is watched through Celery's task signals, so the
events app stays unaware of the status page."""

from __future__ import annotations

import logging
from typing import Any

from celery.signals import task_failure, task_postrun, task_prerun
from django.utils import timezone

from auditui.events import services as event_services
from auditui.ops.models import RetentionRun

log = logging.getLogger(__name__)
PURGE_TASK = "auditui.events.tasks.purge_expired_events"


def _is_purge(sender: Any) -> bool:
    return getattr(sender, "name", None) == PURGE_TASK


@task_prerun.connect
def _started(sender: Any = None, task_id: str | None = None, **_kwargs: Any) -> None:
    if _is_purge(sender):
        now = timezone.now()
        RetentionRun.objects.create(task_id=task_id or "", started_at=now, cutoff=event_services.retention_cutoff(now))


@task_postrun.connect
def _finished(sender: Any = None, task_id: str | None = None, retval: Any = None, state: str | None = None,
              **_kwargs: Any) -> None:
    if not _is_purge(sender):
        return
    changes: dict[str, Any] = {"finished_at": timezone.now()}
    if state == "SUCCESS" and isinstance(retval, int):
        changes["removed"] = retval
    RetentionRun.objects.filter(task_id=task_id or "", finished_at__isnull=True).update(**changes)


@task_failure.connect
def _failed(sender: Any = None, task_id: str | None = None, exception: BaseException | None = None,
            **_kwargs: Any) -> None:
    if _is_purge(sender):
        error = f"{type(exception).__name__}: {exception}"[:2000]
        RetentionRun.objects.filter(task_id=task_id or "").update(error=error)

"""Heartbeats: beat sends ``ops.heartbeat`` every ``AUDITUI_HEARTBEAT_S``; a worker running it
records ``worker``, and beat records its own tick (``beat``) when it sends it. A process whose
last heartbeat is older than 1.5 intervals is shown as stopped, so a stopped worker or beat shows
within two intervals of stopping."""

from __future__ import annotations

import logging
import socket
from datetime import datetime, timedelta
from typing import Any

from celery.signals import before_task_publish
from django.conf import settings
from django.utils import timezone

from auditui.ops.models import Heartbeat

log = logging.getLogger(__name__)
HEARTBEAT_TASK = "auditui.ops.tasks.heartbeat"
KINDS = ("worker", "beat")


def interval() -> timedelta:
    return timedelta(seconds=settings.AUDITUI_HEARTBEAT_S)


def record(name: str, at: datetime | None = None) -> None:
    Heartbeat.objects.update_or_create(name=name, defaults={"at": at or timezone.now(), "host": socket.gethostname()})


def alive(last: datetime | None, now: datetime | None = None) -> bool:
    return last is not None and (now or timezone.now()) - last <= interval() * 1.5


def last_seen() -> dict[str, datetime | None]:
    rows = dict(Heartbeat.objects.values_list("name", "at"))
    return {name: rows.get(name) for name in KINDS}


@before_task_publish.connect
def _beat_tick(sender: str | None = None, **_kwargs: Any) -> None:
    # Only beat sends the heartbeat task, so its publishing is beat's own tick.
    if sender != HEARTBEAT_TASK:
        return
    try:
        record("beat")
    except Exception:  # noqa: BLE001 - a database hiccup must not stop beat from sending
        log.exception("could not record beat's heartbeat")

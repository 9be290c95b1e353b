"""Celery tasks of the operations app: thin, each calls one service."""

from __future__ import annotations

from celery import shared_task

from auditui.ops import heartbeats


@shared_task(name=heartbeats.HEARTBEAT_TASK, ignore_result=True, expires=120)
def heartbeat() -> None:
    heartbeats.record("worker")


"""Celery tasks: thin, they take ids and call one service (``reports.runs``)."""

from __future__ import annotations

from collections.abc import Callable

from celery import shared_task
from django.db import transaction

from reports import runs


@shared_task(name="reports.tasks.dispatch_due_reports")
def dispatch_due_reports() -> int:
    """Beat, every minute: plan due intervals and hand each due run to a worker. A run is claimed
    when a worker starts it, so a run sent twice (two beats, a slow worker) is generated once."""
    due = runs.runs_plan()
    for run_id in due:
        transaction.on_commit(_sender(run_id))
    return len(due)


def _sender(run_id: int) -> Callable[[], None]:
    return lambda: generate_report.delay(run_id)


@shared_task(name="reports.tasks.generate_report")
def generate_report(run_id: int) -> str:
    return runs.run_execute(run_id)


@shared_task(name="reports.tasks.purge_expired_reports")
def purge_expired_reports() -> int:
    return runs.runs_purge()

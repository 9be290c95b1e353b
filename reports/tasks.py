"""Celery tasks: thin, they take ids and call one service (``reports.runs``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from celery import shared_task
from django.db import transaction

from reports import mailing, runs


@shared_task(name="reports.tasks.dispatch_due_reports")
def dispatch_due_reports() -> int:
    """Beat, every minute: plan due intervals and hand each due run to a worker. A run is claimed
    when a worker starts it, so a run sent twice (two beats, a slow worker) is generated once."""
    due = runs.runs_plan()
    for run_id in due:
        transaction.on_commit(_sender(generate_report, run_id))
    for delivery_id in mailing.due_deliveries():  # retries, and sends whose message was lost
        transaction.on_commit(_sender(send_report_email, delivery_id))
    return len(due)


def _sender(task: Any, object_id: int) -> Callable[[], None]:
    return lambda: task.delay(object_id)


@shared_task(name="reports.tasks.generate_report")
def generate_report(run_id: int) -> str:
    """Generates the run, then sends its e-mails (each a task of its own, claimed when sent)."""
    state = runs.run_execute(run_id)
    for delivery_id in mailing.pending_deliveries(run_id):
        transaction.on_commit(_sender(send_report_email, delivery_id))
    return state


@shared_task(name="reports.tasks.send_report_email")
def send_report_email(delivery_id: int) -> str:
    return mailing.delivery_send(delivery_id)


@shared_task(name="reports.tasks.purge_expired_reports")
def purge_expired_reports() -> int:
    return runs.runs_purge()

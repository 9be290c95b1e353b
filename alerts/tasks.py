"""Celery tasks: thin, they take ids and call a service."""

from __future__ import annotations

from datetime import datetime

from celery import shared_task
from django.utils import timezone

from alerts import pack_backtests, runs
from alerts.notifications import delivery_send
from auditui.events.store import get_store


@shared_task(name="alerts.tasks.evaluate_due_alerts")
def evaluate_due_alerts() -> int:
    """The beat tick: claim the rules due now and hand each to a worker."""
    now = timezone.now()
    claimed = runs.alerts_claim_due(now=now)
    for alert_id in claimed:
        evaluate_alert.delay(alert_id, now.isoformat())
    return len(claimed)


@shared_task(name="alerts.tasks.evaluate_alert")
def evaluate_alert(alert_id: int, instant: str) -> int:
    return len(runs.alert_run(alert_id=alert_id, now=datetime.fromisoformat(instant)).new)


@shared_task(name="alerts.tasks.send_delivery")
def send_delivery(delivery_id: int) -> None:
    """One notification; retried with backoff (the service says how long) while it may pass."""
    delay = delivery_send(delivery_id=delivery_id)
    if delay is not None:
        send_delivery.apply_async((delivery_id,), countdown=delay)


@shared_task(name="alerts.tasks.backtest_due_pack")
def backtest_due_pack() -> int:
    """The beat tick: claim the detection pack templates whose stored replay is due, one task each."""
    return len(pack_backtests.pack_backtests_queue(now=timezone.now()))


@shared_task(name="alerts.tasks.backtest_pack_template")
def backtest_pack_template(template_id: int) -> int:
    """One template's 7-day replay, stored for the pack page; the alert events it would have raised."""
    computed = pack_backtests.pack_backtest_run(template_id=template_id, store=get_store(), now=timezone.now())
    return computed.fired if computed else 0

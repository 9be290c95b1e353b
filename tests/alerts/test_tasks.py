"""The Celery side: the beat tick claims what is due and hands each rule to a task; the beat
entry is declared with the others."""

from __future__ import annotations

import time_machine

from alerts.models import AlertEvent
from alerts.tasks import evaluate_due_alerts
from auditui.celery import app
from tests.alerts.conftest import T0, minutes


def test_it_declares_the_beat_tick():
    assert app.conf.beat_schedule["evaluate-due-alerts"]["task"] == "alerts.tasks.evaluate_due_alerts"


def test_it_claims_due_rules_and_runs_each_in_a_task(db, make_alert, pod_created):
    make_alert("pods", query='verb=create AND "objectRef.resource"=pods')
    pod_created("payments", T0 - minutes(1))
    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        with time_machine.travel(T0, tick=False):
            assert evaluate_due_alerts.delay().get() == 1
            assert evaluate_due_alerts.delay().get() == 0  # a duplicated tick finds nothing due
    finally:
        app.conf.task_always_eager = before
    assert AlertEvent.objects.count() == 1


def test_it_declares_the_pack_backtest_tick():
    assert app.conf.beat_schedule["backtest-due-pack"]["task"] == "alerts.tasks.backtest_due_pack"


def test_it_computes_the_due_pack_templates_each_in_a_task(db, django_capture_on_commit_callbacks):
    from alerts.models import PackBacktest
    from alerts.tasks import backtest_due_pack

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            assert backtest_due_pack.delay().get() == 21
        with django_capture_on_commit_callbacks(execute=True) as again:
            assert backtest_due_pack.delay().get() == 0  # all current: nothing due before the hour
    finally:
        app.conf.task_always_eager = before
    assert again == []
    rows = PackBacktest.objects.all()
    assert len(rows) == 21 and all(r.computed_at and r.queued_at is None and not r.error for r in rows)

"""The Celery app. Periodic tasks are declared here, in one place (``beat_schedule``)."""

from __future__ import annotations

import os

from celery import Celery
from celery.schedules import crontab
from celery.signals import beat_init, worker_process_init, worker_ready

# From the environment, not django.conf: this module is imported while the settings are read.
from auditui.env import env_int
from auditui.runtime import tune_gc

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "auditui.settings")

app = Celery("auditui")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    # Heartbeats for /status/: beat records its tick when it sends this, a worker when it runs it.
    "heartbeat": {"task": "auditui.ops.tasks.heartbeat", "schedule": float(env_int("AUDITUI_HEARTBEAT_S", 30))},
    # Retention: keep AUDITUI_RETENTION_DAYS of events.
    # Pull sources: each has its own interval (stored as data); this tick hands out the due ones.
    "pull-due-sources": {"task": "auditui.events.tasks.pull_due_sources", "schedule": 30.0},
    # Upload jobs left RUNNING by a worker that died (AUDITUI_INGEST_JOB_STALE_S without progress).
    "requeue-stale-ingest-jobs": {"task": "auditui.events.tasks.requeue_stale_ingest_jobs", "schedule": 60.0},
    # Cluster state: each cluster's state at midnight UTC, so rebuilds replay from there (taken
    # after midnight so that events of the day before, shipped late, are in).
    "snapshot-cluster-state": {
        "task": "auditui.state.tasks.take_daily_snapshots",
        "schedule": crontab(minute=41, hour=0),
    },
    # Compliance reports: schedules are stored as data (each GlobalReport's cron); this tick plans
    # the due intervals and hands out their runs, each claimed atomically by the worker that runs it.
    "dispatch-due-reports": {"task": "reports.tasks.dispatch_due_reports", "schedule": 60.0},
    "purge-expired-reports": {
        "task": "reports.tasks.purge_expired_reports",
        "schedule": crontab(minute=27, hour=3),
    },
    # Global alerts: each rule's schedule is data (next_run_at); this tick claims the due ones.
    "evaluate-due-alerts": {"task": "alerts.tasks.evaluate_due_alerts", "schedule": 30.0},
    # Detection pack page: each template's 7-day replay is stored (its last computation is the
    # data); this tick claims those due (none yet, spec changed, or an hour old) and hands each out.
    "backtest-due-pack": {"task": "alerts.tasks.backtest_due_pack", "schedule": 60.0},
    # Each run is recorded for /status/ (auditui.ops.retention, from the task's signals).
    "purge-expired-events": {
        "task": "auditui.events.tasks.purge_expired_events",
        "schedule": crontab(minute=17, hour=3),
    },
}


@worker_ready.connect  # the worker (and, with the solo pool, the process that runs tasks) is set up
@worker_process_init.connect  # each prefork child, after the fork
def _tune_gc(**_kwargs: object) -> None:
    tune_gc()


@beat_init.connect
def _first_pack_tick(sender: object = None, **_kwargs: object) -> None:
    """The detection pack's stored replays are due at once on a fresh install (the demo of
    ``make run``): beat's first interval tick would come only a minute after it starts. Claimed
    per template, so a duplicate tick queues nothing twice."""
    app.send_task("alerts.tasks.backtest_due_pack")

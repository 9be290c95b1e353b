from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import CommandError, call_command

from auditui.events.ingest import ingest_events
from auditui.events.models import AuditEvent
from tests.factories import audit_event

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


@pytest.fixture
def aged_events():
    ages = [1, 100, 364, 366, 400, 1000]
    ingest_events([audit_event(time=NOW - timedelta(days=d), name=f"d{d}") for d in ages], cluster="c")
    return ages


def _purge(*args: str) -> str:
    out = io.StringIO()
    call_command("purge", *args, stdout=out)
    return out.getvalue()


@time_machine.travel(NOW, tick=False)
def test_it_keeps_the_retention_by_default(aged_events):
    assert "purged 3 events" in _purge()
    assert sorted(AuditEvent.objects.values_list("name", flat=True)) == ["d1", "d100", "d364"]


@time_machine.travel(NOW, tick=False)
def test_it_follows_the_retention_setting(aged_events, settings):
    settings.AUDITUI_RETENTION_DAYS = 30
    _purge()
    assert list(AuditEvent.objects.values_list("name", flat=True)) == ["d1"]


def test_it_purges_before_a_given_instant(aged_events):
    output = _purge("--before", (NOW - timedelta(days=200)).isoformat())
    assert "purged 4 events older than" in output
    assert sorted(AuditEvent.objects.values_list("name", flat=True)) == ["d1", "d100"]


def test_it_names_a_bad_instant():
    with pytest.raises(CommandError, match="--before is not an RFC3339 timestamp"):
        _purge("--before", "last tuesday")


def test_it_is_scheduled_daily_in_beat():
    from celery.schedules import crontab

    from auditui.celery import app

    app.loader.import_default_modules()
    entry = app.conf.beat_schedule["purge-expired-events"]
    assert entry["task"] == "auditui.events.tasks.purge_expired_events"
    assert isinstance(entry["schedule"], crontab)
    assert entry["task"] in app.tasks


def test_it_says_when_the_store_cannot_answer(settings):
    from tests.services import closed_port

    port = closed_port()
    settings.EVENT_STORE_URL = f"elasticsearch://127.0.0.1:{port}"
    reason = f"nothing purged: Elasticsearch at http://127.0.0.1:{port} cannot be reached"
    with pytest.raises(CommandError, match=reason):
        call_command("purge", stdout=io.StringIO())

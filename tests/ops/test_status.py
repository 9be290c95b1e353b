"""``/status/`` and ``GET /api/v1/status``: staff only; worker and beat heartbeats (a stopped one
shows as stopped within two intervals), the event store per cluster, retention, pull sources, and
sections other apps register."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from celery.signals import before_task_publish
from rest_framework.authtoken.models import Token

from auditui import status
from auditui.events.ingest import ingest_events
from auditui.events.models import PullSource
from auditui.events.tasks import purge_expired_events
from auditui.ops import heartbeats
from auditui.ops.models import RetentionRun
from auditui.ops.tasks import heartbeat
from tests.factories import audit_event

pytestmark = pytest.mark.django_db
API = "/api/v1/status"
T0 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user("ops", "ops@example.com", "pw", is_staff=True)


def _sections(client) -> dict:
    response = client.get(API)
    assert response.status_code == 200
    return response.json()["sections"]


def test_it_shows_the_page_and_the_api_to_the_admin(client, admin):
    client.force_login(admin)

    page = client.get("/status/")

    assert page.status_code == 200
    assert "System status" in page.content.decode()
    assert {"processes", "queue", "event store", "retention", "pull sources"} <= set(_sections(client))


@pytest.mark.parametrize("persona", ["scoped_user", "outsider"])
def test_it_refuses_people_who_are_not_staff(client, persona, request):
    client.force_login(request.getfixturevalue(persona))

    assert client.get("/status/").status_code == 302  # to the admin's login
    assert client.get(API).status_code == 403


def test_it_refuses_the_api_without_credentials(client):
    assert client.get(API).status_code in (401, 403)


def test_it_answers_staff_monitoring_with_a_token(client, staff):
    token = Token.objects.create(user=staff)

    response = client.get(API, HTTP_AUTHORIZATION=f"Token {token.key}")

    assert response.status_code == 200 and "processes" in response.json()["sections"]


def test_it_shows_a_stopped_worker_as_stopped_within_two_heartbeat_intervals(client, admin, settings):
    settings.AUDITUI_HEARTBEAT_S = 30
    client.force_login(admin)
    with time_machine.travel(T0, tick=False):
        heartbeat.apply()  # a worker ran the heartbeat
        before_task_publish.send(sender=heartbeats.HEARTBEAT_TASK)  # beat sent it
        alive = _sections(client)["processes"]
    with time_machine.travel(T0 + timedelta(seconds=60), tick=False):
        heartbeats.record("beat")  # beat goes on ticking, the worker has stopped
        stopped = _sections(client)["processes"]

    assert alive["ok"] and alive["details"]["worker"] == {"alive": True, "last_heartbeat": "2026-06-01T12:00:00Z"}
    assert not stopped["ok"] and stopped["summary"] == "stopped: worker"
    assert stopped["details"]["worker"]["alive"] is False and stopped["details"]["beat"]["alive"] is True


def test_it_shows_processes_never_seen_as_stopped(client, admin):
    client.force_login(admin)

    processes = _sections(client)["processes"]

    assert processes["summary"] == "stopped: worker, beat"
    assert processes["details"]["beat"]["last_heartbeat"] is None


def test_it_shows_the_event_store_per_cluster(client, admin):
    now = datetime.now(UTC)
    ingest_events([audit_event(name="a", time=now - timedelta(minutes=5)),
                   audit_event(name="b", time=now - timedelta(days=3))], cluster="prod")
    client.force_login(admin)

    store = _sections(client)["event store"]

    assert store["ok"] and store["details"]["events"] == 2
    row = store["details"]["clusters"]["prod"]
    assert row["events"] == 2 and row["last_hour"] == 1
    assert row["oldest"].startswith((now - timedelta(days=3)).date().isoformat())


def test_it_shows_the_last_retention_run_and_what_it_removed(client, admin, settings):
    settings.AUDITUI_RETENTION_DAYS = 30
    old = datetime.now(UTC) - timedelta(days=40)
    ingest_events([audit_event(name="old", time=old), audit_event(name="new")], cluster="prod")

    removed = purge_expired_events.apply().get()  # as the worker runs it, with the task's signals
    client.force_login(admin)
    retention = _sections(client)["retention"]

    assert removed == 1 and RetentionRun.objects.get().removed == 1
    assert retention["ok"] and retention["details"]["last_run"]["removed"] == 1
    assert "removed 1 events" in retention["summary"]


def test_it_shows_a_failing_pull_source(client, admin):
    PullSource.objects.create(name="calico-eu", url="http://127.0.0.1:1", cluster="eu", last_error="refused")
    client.force_login(admin)

    pulls = _sections(client)["pull sources"]

    assert not pulls["ok"] and "calico-eu" in pulls["summary"]
    assert pulls["details"]["sources"]["calico-eu"]["last_error"] == "refused"


def test_it_shows_the_queue_depth_of_the_embedded_broker(client, admin):
    client.force_login(admin)

    queue = _sections(client)["queue"]

    assert isinstance(queue["details"]["depth"], int)


def test_it_shows_sections_other_apps_register(client, admin):
    # Names of their own: alerts and reports register the real "alert rounds" and "report runs".
    @status.section("example runs")
    def report_runs() -> status.Section:
        return status.Section(ok=False, summary="2 behind schedule", details={"late": ["daily", "weekly"]})

    @status.section("example rounds")
    def broken() -> status.Section:
        raise RuntimeError("boom")

    client.force_login(admin)
    try:
        sections = _sections(client)
        page = client.get("/status/").content.decode()
    finally:
        status.unregister("example runs")
        status.unregister("example rounds")

    assert sections["example runs"] == {"ok": False, "summary": "2 behind schedule",
                                       "details": {"late": ["daily", "weekly"]}}
    assert sections["example rounds"]["ok"] is False and "RuntimeError" in sections["example rounds"]["summary"]
    assert "2 behind schedule" in page


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_it_is_ready_when_the_database_and_the_store_answer(client):
    response = client.get("/readyz")

    assert response.status_code == 200 and response.json()["status"] == "ready"


def test_it_is_not_ready_when_the_event_store_cannot_answer(client, settings):
    settings.EVENT_STORE_URL = f"opensearch://127.0.0.1:{_closed_port()}"

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"]["event_store"]["ok"] is False
    assert response.json()["checks"]["database"]["ok"] is True


def test_healthz_stays_liveness(client, settings):
    settings.EVENT_STORE_URL = f"opensearch://127.0.0.1:{_closed_port()}"

    assert client.get("/healthz").status_code == 200

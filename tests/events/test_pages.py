from __future__ import annotations

import pytest
from django.urls import reverse

from auditui.events.ingest import ingest_events
from auditui.events.models import AuditEvent, DropRule
from tests.conftest import PASSWORD
from tests.factories import audit_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def events(db):
    from django.utils import timezone

    now = timezone.now()
    ingest_events([audit_event(namespace="payments", name="api-1", time=now, verb="delete", code=200),
                   audit_event(namespace="frontend", name="<script>alert(1)</script>", time=now, code=403)],
                  cluster="prod")
    ingest_events([audit_event(namespace=None, resource="nodes", name="node-1", time=now)], cluster="dev")


def _login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


def test_it_sends_anonymous_visitors_to_login(client):
    response = client.get("/")
    assert response.status_code == 302 and response.url.startswith("/login/")


def test_it_logs_in_through_the_form(client, admin):
    response = client.post("/login/", {"username": "admin", "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == "/"
    assert b"Overview" in response.content


def test_it_shows_the_overview_to_the_admin(client, admin, events):
    _login(client, admin)
    response = client.get("/")
    body = response.content.decode()
    ov = response.context["overview"]
    assert {c.name: c.total for c in ov.clusters} == {"prod": 2, "dev": 1}
    assert ov.total_24h == 3 and ov.failed_24h == 1
    assert "<svg" in body and "histogram of events" in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body and "<script>alert(1)" not in body


def test_it_scopes_the_overview_to_the_viewer(client, scoped_user, events):
    _login(client, scoped_user)
    ov = client.get("/").context["overview"]
    assert {c.name: c.total for c in ov.clusters} == {"prod": 1}
    assert [e.namespace for e in ov.latest] == ["payments"]
    assert ov.drop_rules == []  # installation-wide facts are for staff only


def test_it_shows_an_outsider_nothing(client, outsider, events):
    _login(client, outsider)
    response = client.get("/")
    ov = response.context["overview"]
    assert ov.clusters == [] and ov.latest == [] and ov.total_24h == 0
    assert "no access scope" in response.content.decode()
    event = AuditEvent.objects.first()
    assert client.get(reverse("events:detail", args=[event.pk])).status_code == 404
    assert client.get(reverse("events:list")).context["page"].records == []


def test_it_shows_drop_rule_counts_to_staff(client, admin):
    DropRule.objects.create(name="system reads", query="verb=get")
    ingest_events([audit_event(verb="get"), audit_event(verb="get")], cluster="prod")
    _login(client, admin)
    body = client.get("/").content.decode()
    assert "system reads" in body
    assert DropRule.objects.get().dropped_total == 2


def test_it_shows_one_event_with_fields_and_json(client, admin, events):
    _login(client, admin)
    event = AuditEvent.objects.get(namespace="payments")
    body = client.get(reverse("events:detail", args=[event.pk])).content.decode()
    assert event.audit_id in body
    assert "api-1" in body and "&quot;auditID&quot;" in body
    assert "UTC" in body


def test_it_shows_event_times_in_the_viewer_time_zone(client, admin, events):
    _login(client, admin)
    client.cookies["tz"] = "Asia%2FTokyo"  # as the browser's encodeURIComponent writes it
    event = AuditEvent.objects.get(namespace="payments")
    body = client.get(reverse("events:detail", args=[event.pk])).content.decode()
    from zoneinfo import ZoneInfo

    local = event.time.astimezone(ZoneInfo("Asia/Tokyo"))
    assert local.strftime("%Y-%m-%d %H:%M:%S") in body and "Asia/Tokyo" in body


def test_it_lets_a_scoped_user_open_only_their_events(client, scoped_user, events):
    _login(client, scoped_user)
    mine = AuditEvent.objects.get(namespace="payments")
    theirs = AuditEvent.objects.get(namespace="frontend")
    assert client.get(reverse("events:detail", args=[mine.pk])).status_code == 200
    assert client.get(reverse("events:detail", args=[theirs.pk])).status_code == 404


def test_it_pages_the_event_list_by_cursor(client, admin):
    ingest_events([audit_event() for _ in range(60)], cluster="prod")
    _login(client, admin)
    window = {"start": "2026-11-01T00:00:00Z", "end": "2026-12-01T00:00:00Z"}
    first = client.get(reverse("events:list"), window).context["page"]
    assert len(first.records) == 50 and first.next_cursor
    second = client.get(reverse("events:list"), {**window, "cursor": first.next_cursor}).context["page"]
    assert len(second.records) == 10 and second.next_cursor is None
    assert {r.id for r in first.records}.isdisjoint({r.id for r in second.records})
    bad = client.get(reverse("events:list"), {**window, "cursor": "zzz"})
    assert bad.status_code == 302


def test_it_answers_healthz_without_auth(client):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_it_serves_the_openapi_schema_to_logged_in_users(client, admin):
    _login(client, admin)
    response = client.get("/api/v1/schema/")
    assert response.status_code == 200
    assert b"/api/v1/audit/webhook" in response.content

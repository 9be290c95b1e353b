"""The admin of events and pull sources: events cannot be deleted by hand (only retention removes
them); pull sources are edited by superusers only."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from auditui.events.ingest import ingest_events
from auditui.events.models import AuditEvent, PullSource
from tests.factories import audit_event

pytestmark = pytest.mark.django_db
EVENTS = "/admin/events/auditevent/"
SOURCES = "/admin/events/pullsource/"


@pytest.fixture
def event() -> AuditEvent:
    ingest_events([audit_event(name="evidence")], cluster="c1")
    return AuditEvent.objects.get()


@pytest.fixture
def staff_with_every_permission(django_user_model):
    """Staff holding every model permission of the events app, but not a superuser."""
    user = django_user_model.objects.create_user("staff", "staff@example.com", "pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="events"))
    return user


def test_it_offers_no_delete_action_on_events(client, admin, event):
    client.force_login(admin)

    page = client.get(EVENTS).content.decode()

    assert "evidence" in page
    assert "delete_selected" not in page


def test_it_deletes_no_event_through_a_forged_delete_action(client, admin, event):
    client.force_login(admin)

    client.post(EVENTS, {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"})

    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_it_refuses_the_delete_page_of_an_event(client, admin, event):
    client.force_login(admin)

    assert client.get(f"{EVENTS}{event.pk}/delete/").status_code == 403
    assert client.post(f"{EVENTS}{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_it_refuses_event_deletion_even_with_the_delete_permission(client, staff_with_every_permission, event):
    client.force_login(staff_with_every_permission)

    assert client.post(f"{EVENTS}{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_it_lets_staff_look_at_pull_sources_but_not_edit_them(client, staff_with_every_permission):
    source = PullSource.objects.create(name="calico", url="http://search.internal:9200", cluster="prod")
    client.force_login(staff_with_every_permission)

    assert client.get(SOURCES).status_code == 200
    assert client.get(f"{SOURCES}add/").status_code == 403
    evil = {"name": "evil", "url": "http://evil.example.com:9200", "cluster": "prod"}
    assert client.post(f"{SOURCES}add/", evil).status_code == 403
    assert client.post(f"{SOURCES}{source.pk}/change/", {**evil, "name": "calico"}).status_code == 403
    assert client.post(f"{SOURCES}{source.pk}/delete/", {"post": "yes"}).status_code == 403
    assert "reset_checkpoint" not in client.get(SOURCES).content.decode()
    source.refresh_from_db()
    assert source.url == "http://search.internal:9200" and PullSource.objects.count() == 1


def _source_form(**changes) -> dict:
    form = {
        "name": "calico", "engine": "opensearch", "url": "http://search.internal:9200", "username": "reader",
        "password_env": "AUDITUI_PULL_CALICO", "password_file": "", "verify_tls": "on",
        "index_pattern": "tigera_secure_ee_audit_*", "cluster": "prod", "time_field": "requestReceivedTimestamp",
        "tiebreaker_fields": "auditID.keyword,stage.keyword", "batch_size": "1000", "enabled": "on",
        "interval_seconds": "60",
    }
    return {**form, **changes}


def test_it_lets_a_superuser_add_a_pull_source(client, admin):
    client.force_login(admin)

    response = client.post(f"{SOURCES}add/", _source_form())

    assert response.status_code == 302
    assert PullSource.objects.get().password_env == "AUDITUI_PULL_CALICO"


@pytest.mark.parametrize("name", ["SECRET_KEY", "DATABASE_URL", "EMAIL_URL", "AUDITUI_PULL_", "AUDITUI_PULL_X Y"])
def test_it_refuses_a_password_variable_outside_the_pull_prefix(client, admin, name):
    client.force_login(admin)

    response = client.post(f"{SOURCES}add/", _source_form(password_env=name))

    assert response.status_code == 200
    assert "must be named AUDITUI_PULL_" in response.content.decode()
    assert PullSource.objects.count() == 0

"""The admin console: auditui's name, a start page grouped by task with counts and what needs
attention, scopes edited on users and groups (written to the trail), the preview of what a user
sees."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Group

from auditui.access.models import Scope
from auditui.access.scope import RESERVED_CLUSTER, ViewerScope
from auditui.events.ingest import ingest_events
from auditui.events.models import DropRule, IngestJob, PullSource
from auditui.events.store import EventQuery, get_store
from auditui.ops.preview import preview_user
from tests.factories import audit_event

pytestmark = pytest.mark.django_db


def _trail(resource: str) -> list:
    q = EventQuery(scope=ViewerScope.all(), clusters=(RESERVED_CLUSTER,), filters={"resource": resource})
    return list(reversed(get_store().search(q, page_size=100).records))


def test_it_names_the_admin_site_auditui(client, admin):
    client.force_login(admin)

    page = client.get("/admin/").content.decode()

    assert "auditui console" in page and "Django administration" not in page
    assert "css/console.css" in page


def test_it_groups_the_start_page_by_task_with_counts(client, admin, scoped_user):
    DropRule.objects.create(name="noisy", query="verb=watch")
    client.force_login(admin)

    page = client.get("/admin/").content.decode()

    for title in ("People and access", "Ingest", "Alerts", "Reports"):
        assert f'data-group="{title}"' in page
    assert "Drop rules" in page and "Pull sources" in page and "Ingest tokens" in page
    # alerts and reports are installed: their models are listed in their groups.
    assert "not installed" not in page
    assert "Global alerts" in page and "Channels" in page and "Global reports" in page and "Subscriptions" in page


def test_it_lists_what_needs_attention(client, admin):
    PullSource.objects.create(name="calico-eu", url="http://127.0.0.1:1", cluster="eu", last_error="refused")
    DropRule.objects.create(name="broken", query="verb=watch", error_total=3, last_error="bad value")
    IngestJob.objects.create(cluster="c1", file_name="a.log", path="/tmp/a.log", status=IngestJob.Status.FAILED)
    client.force_login(admin)

    page = client.get("/admin/").content.decode()

    assert "Pull source calico-eu is failing: refused" in page
    assert "Drop rule broken failed on 3 events: bad value" in page
    assert "1 upload(s) failed" in page


def test_it_edits_a_users_scopes_on_the_user_page_and_writes_the_trail(client, admin, django_user_model,
                                                                      django_capture_on_commit_callbacks):
    scope = Scope.objects.create(name="payments", clusters="*", namespaces="payments")
    user = django_user_model.objects.create_user("newbie", "n@example.com", "pw")
    client.force_login(admin)
    form = client.get(f"/admin/auth/user/{user.pk}/change/").context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k not in ("groups", "user_permissions",
                                                                               "last_login", "date_joined")}
    data.update({"scopes": [scope.pk], "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00"})

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/auth/user/{user.pk}/change/", data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert list(user.audit_scopes.all()) == [scope]
    (change,) = _trail("scopes")
    assert change.verb == "update" and change.name == "payments" and change.username == "admin"
    assert change.raw["requestObject"] == {"users": {"added": ["newbie"]}}


def test_it_edits_a_groups_scopes_on_the_group_page(client, admin, django_capture_on_commit_callbacks):
    scope = Scope.objects.create(name="payments", clusters="*", namespaces="payments")
    group = Group.objects.create(name="team")
    client.force_login(admin)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/admin/auth/group/{group.pk}/change/", {"name": "team", "scopes": [scope.pk]})

    assert list(group.audit_scopes.all()) == [scope]
    assert _trail("scopes")[0].raw["requestObject"] == {"groups": {"added": ["team"]}}


def test_it_previews_what_a_scoped_user_sees_through_the_chokepoint(client, admin, scoped_user):
    now = datetime.now(UTC)
    ingest_events([audit_event(namespace="payments", time=now - timedelta(hours=1)),
                   audit_event(namespace="payments", time=now - timedelta(hours=2)),
                   audit_event(namespace="default", time=now - timedelta(hours=1)),
                   audit_event(namespace="payments", time=now - timedelta(days=3))], cluster="prod")
    client.force_login(admin)

    page = client.get(f"/admin/auth/user/{scoped_user.pk}/change/").content.decode()

    text = "This user sees clusters *, namespaces payments: 2 events in the last 24 h, 0 policies."
    assert preview_user(scoped_user).text() == text
    assert text in page


def test_it_previews_that_a_user_without_scope_sees_nothing(outsider):
    assert preview_user(outsider).text() == "This user sees nothing: no scope grants them any cluster."


def test_it_refuses_the_console_to_people_who_are_not_staff(client, scoped_user):
    client.force_login(scoped_user)

    assert client.get("/admin/").status_code == 302

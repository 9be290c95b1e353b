"""The console in a real browser: the start page grouped by task, with what needs attention, and a
new administrator giving a user a scope on the user's page and seeing the preview of their view."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest

from auditui.access.models import Scope
from auditui.events.ingest import ingest_events
from auditui.events.models import PullSource
from tests.factories import audit_event

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_it_shows_the_start_page_by_task_with_what_needs_attention(log_in, admin):
    PullSource.objects.create(name="calico-eu", url="http://127.0.0.1:1", cluster="eu", last_error="refused")
    page = log_in(admin)

    page.goto("/admin/")

    assert page.locator("#site-name").inner_text().strip().startswith("◆ auditui")
    groups = page.locator("section.console-group h2").all_inner_texts()
    assert groups == ["People and access", "Ingest", "Alerts", "Reports"]
    ingest = page.locator('section[data-group="Ingest"]').inner_text()
    assert "Pull sources\t1" in ingest or "Pull sources 1" in ingest.replace("\t", " ")
    assert "Pull source calico-eu is failing: refused" in page.locator(".console-attention").inner_text()
    if os.environ.get("CONSOLE_SCREENSHOTS"):
        page.screenshot(path=os.path.join(os.environ["CONSOLE_SCREENSHOTS"], "console.png"), full_page=True)
    with page.expect_navigation():
        page.click("text=Pull source calico-eu is failing")
    assert "/admin/events/pullsource/" in page.url


def test_it_gives_a_user_a_scope_and_previews_what_they_see(log_in, admin, django_user_model):
    now = datetime.now(UTC)
    ingest_events([audit_event(namespace="payments", time=now - timedelta(hours=1)),
                   audit_event(namespace="shop", time=now - timedelta(hours=1))], cluster="prod")
    Scope.objects.create(name="payments team", clusters="prod", namespaces="payments")
    user = django_user_model.objects.create_user("newbie", "n@example.com", "pw")
    page = log_in(admin)
    page.goto(f"/admin/auth/user/{user.pk}/change/")
    assert "This user sees nothing" in page.locator("#scope-preview").inner_text()

    page.select_option("#id_scopes_from", label="payments team")
    page.click("#id_scopes_add")
    with page.expect_navigation():
        page.click("input[name=_continue]")

    preview = page.locator("#scope-preview").inner_text()
    assert preview == "This user sees clusters prod, namespaces payments: 1 events in the last 24 h, 0 policies."
    assert [s.name for s in user.audit_scopes.all()] == ["payments team"]
    if os.environ.get("CONSOLE_SCREENSHOTS"):
        page.screenshot(path=os.path.join(os.environ["CONSOLE_SCREENSHOTS"], "user.png"), full_page=True)

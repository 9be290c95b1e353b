"""The compliance page in a real browser: the list, the widgets, the trend, a download."""

from __future__ import annotations

from pathlib import Path

import pytest

from reports.runs import report_run_now
from tests.reports.test_generate import END, START, policy, report

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_lists_reports_shows_widgets_and_downloads_a_file(log_in, admin, ingest):
    from datetime import timedelta

    ingest([policy("create", 1), policy("patch", 2), policy("create", 25), policy("delete", 26)], cluster="c1")
    audit = report("policy-audit")
    first = report_run_now(audit, start=START, end=END)
    report_run_now(audit, start=END, end=END + timedelta(days=1))
    page = log_in(admin)
    page.goto("/")
    with page.expect_navigation():
        page.click("nav.mainnav >> text=Reports")
    assert page.locator("table.reports tbody tr").count() == 2
    widgets = {w.locator(".label").text_content(): w.locator(".value").text_content()
               for w in page.locator(".widget").all()}
    assert widgets["policy-audit · Created"] == "2" and widgets["policy-audit · Deleted"] == "1"
    assert page.locator(".trend-group").count() == 2
    with page.expect_download() as download:
        page.locator(f'a.download[href*="{first.calico_id}"][href*="summary.csv"]').click()
    # Calico's name; the browser writes the colons of its times as "_" (not allowed in every file system).
    assert download.value.suggested_filename == (
        "policy-audit_daily_2026-11-20T00:00:00Z-2026-11-21T00:00:00Z-summary.csv".replace(":", "_"))
    content = Path(download.value.path()).read_text()
    assert content.splitlines()[1].endswith(",1,1,0")
    with page.expect_navigation():
        page.click(f'a[href="/reports/{first.calico_id}/"]')
    assert "numCreatedPolicies" in page.content()

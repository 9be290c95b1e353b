"""The compliance page, a report's detail page and "run now"."""

from __future__ import annotations

import pytest

from reports.models import GlobalReport, ReportRun
from reports.runs import report_run_now
from tests.reports.test_api import grant
from tests.reports.test_generate import END, START, policy, report


@pytest.fixture
def runs(ingest) -> list[ReportRun]:
    ingest([policy("create", 1), policy("delete", 2, name="deny-all", group="projectcalico.org",
                                         resource="globalnetworkpolicies", namespace=None)], cluster="c1")
    audit = report("policy-audit")
    return [report_run_now(audit, start=START, end=END),
            report_run_now(report("activity-summary", name="morning"), start=START, end=END)]


def test_it_lists_reports_with_widgets_trend_and_downloads(client, admin, runs):
    client.force_login(admin)
    page = client.get("/reports/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-type="policy-audit"' in html and "Created" in html
    assert "Trend:" in html and f"/api/v1/reports/{runs[0].calico_id}/download?format=summary.csv" in html
    assert "Run now" in html and 'href="/reports/"' in html  # the nav link


def test_it_filters_by_report_and_type(client, admin, runs):
    client.force_login(admin)
    html = client.get("/reports/", {"type": "activity-summary"}).content.decode()
    assert runs[1].calico_id in html and runs[0].calico_id not in html
    assert client.get("/reports/", {"from": "not-a-date"}).status_code == 400


def test_it_shows_a_reports_detail_with_its_files(client, admin, runs):
    client.force_login(admin)
    html = client.get(f"/reports/{runs[0].calico_id}/").content.decode()
    assert "numCreatedPolicies" in html and "events.yaml" in html


def test_a_scoped_viewer_sees_the_cut_report_and_an_outsider_nothing(client, scoped_user, outsider, runs):
    grant(scoped_user, "list_reports", "view_globalreport")
    client.force_login(scoped_user)
    html = client.get("/reports/").content.decode()
    assert runs[0].calico_id in html and runs[1].calico_id not in html  # the activity summary cannot be cut
    assert "download?format" not in html  # no download permission
    assert "1 created · 0 modified · 0 deleted" in html  # the global policy's delete is cut
    assert client.get(f"/reports/{runs[1].calico_id}/").status_code == 404
    client.force_login(outsider)
    assert client.get("/reports/").status_code == 403


def test_run_now_generates_the_last_interval_on_demand(client, admin, db):
    GlobalReport.objects.create(name="daily", report_type="activity-summary", schedule="0 0 * * *",
                                spec={"reportType": "activity-summary", "schedule": "0 0 * * *"})
    client.force_login(admin)
    answer = client.post("/reports/run/daily/")
    run = ReportRun.objects.get()
    assert run.on_demand and answer.url == f"/reports/{run.calico_id}/"


def test_subscribe_toggles_and_says_why_it_is_refused(client, admin, scoped_user, db):
    report = GlobalReport.objects.create(name="morning", report_type="activity-summary", schedule="0 6 * * *",
                                         spec={"reportType": "activity-summary", "schedule": "0 6 * * *"})
    client.force_login(admin)
    client.post("/reports/subscribe/morning/")
    assert report.subscriptions.filter(user=admin).exists()
    assert "Unsubscribe" in client.get("/reports/").content.decode()
    client.post("/reports/subscribe/morning/")
    assert not report.subscriptions.exists()
    grant(scoped_user, "list_reports", "view_globalreport")
    client.force_login(scoped_user)
    page = client.post("/reports/subscribe/morning/", follow=True).content.decode()
    assert "cannot be cut" in page and not report.subscriptions.exists()


def test_it_says_when_there_is_nothing_yet(client, admin, db):
    client.force_login(admin)
    html = client.get("/reports/").content.decode()
    assert "No generated reports" in html and "New report" in html


def test_it_charts_inscope_vs_protected_and_the_trend_of_inventory_runs(client, admin, ingest, apply_text):
    from tests.reports.conftest import INVENTORY
    from tests.reports.test_inventory import cluster_story

    story, start, end = cluster_story()
    ingest(story.events, cluster="c1")
    apply_text(INVENTORY)
    report = GlobalReport.objects.get()
    first = report_run_now(report, start=start, end=end)
    report_run_now(report, start=end, end=story.at(60))
    client.force_login(admin)
    html = client.get("/reports/").content.decode()
    assert "Inscope vs Protected: weekly-full-inventory" in html
    assert "2 of 3 in scope (66.7 %)" in html  # the newest run: db is protected all along by then
    assert "Trend: weekly-full-inventory" in html and "Endpoints in scope: 3" in html
    detail = client.get(f"/reports/{first.calico_id}/").content.decode()
    assert "How complete the picture is" in detail and "endpointsNumInScope" in detail

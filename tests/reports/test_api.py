"""``/api/v1/reports`` and downloads: Calico's shape, separate permissions, the viewer's scope."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.contrib.auth.models import Permission

from reports.models import ReportRun
from reports.runs import report_run_now
from tests.factories import audit_event
from tests.reports.test_generate import END, START, at, policy, report


@pytest.fixture
def audit_run(ingest) -> ReportRun:
    ingest([
        policy("create", 1), policy("patch", 2, namespace="shop", name="shop-in"),
        policy("create", 3, name="deny-all", group="projectcalico.org", resource="globalnetworkpolicies",
               namespace=None),
        audit_event(verb="create", resource="pods", namespace="payments", time=at(4)),
    ], cluster="c1")
    return report_run_now(report("policy-audit"), start=START, end=END)


def grant(user, *codenames: str) -> None:
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="reports", codename__in=codenames))


def test_it_lists_reports_as_calicos_compliance_server(client, admin, audit_run):
    client.force_login(admin)
    answer = client.get("/api/v1/reports", {"reportTypeName": "policy-audit", "fromTime": "2026-11-20T00:00:00Z"})
    assert answer.status_code == 200
    body = answer.json()
    assert body["count"] == 1 and body["page"] == 0
    [item] = body["reports"]
    assert item["id"] == audit_run.calico_id and item["name"] == "daily" and item["type"] == "policy-audit"
    assert item["startTime"] == "2026-11-20T00:00:00Z" and item["endTime"] == "2026-11-21T00:00:00Z"
    assert item["uiSummary"]["numCreatedPolicies"] == 2
    assert item["downloadFormats"] == ["summary.csv", "events.json", "events.yaml"]
    assert client.get("/api/v1/reports", {"reportName": "other"}).json()["count"] == 0
    assert client.get("/api/v1/reports", {"toTime": "2026-11-19T00:00:00Z"}).json()["count"] == 0
    assert client.get("/api/v1/reports", {"fromTime": "yesterday"}).status_code == 400


def test_it_downloads_one_format_as_the_file_and_several_as_a_zip(client, admin, audit_run):
    client.force_login(admin)
    url = f"/api/v1/reports/{audit_run.calico_id}/download"
    one = client.get(url, {"format": "summary.csv"})
    assert one.status_code == 200 and one["Content-Type"].startswith("text/plain")
    assert ('filename="policy-audit_daily_2026-11-20T00:00:00Z-2026-11-21T00:00:00Z-summary.csv"'
            in one["Content-Disposition"])
    several = client.get(url + "?format=summary.csv&format=events.json")
    assert several["Content-Type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(several.content)).namelist()
    assert names == ["policy-audit_daily_2026-11-20T00:00:00Z-2026-11-21T00:00:00Z-summary.csv",
                     "policy-audit_daily_2026-11-20T00:00:00Z-2026-11-21T00:00:00Z-events.json"]
    assert client.get(url, {"format": "nope.csv"}).status_code == 400


def test_listing_summaries_and_downloads_are_separate_permissions(client, scoped_user, audit_run):
    client.force_login(scoped_user)
    assert client.get("/api/v1/reports").status_code == 403
    grant(scoped_user, "list_reports")
    [item] = client.get("/api/v1/reports").json()["reports"]
    assert item["uiSummary"] is None and item["downloadUrl"] == "" and item["downloadFormats"] == []
    assert client.get(f"/api/v1/reports/{audit_run.calico_id}/download").status_code == 403
    grant(scoped_user, "view_globalreport", "download_report")
    [item] = client.get("/api/v1/reports").json()["reports"]
    assert item["uiSummary"]["numCreatedPolicies"] == 1  # only payments: the global policy is cut
    events = json.loads(client.get(item["downloadUrl"], {"format": "events.json"}).content)
    assert [e["objectRef"]["namespace"] for e in events] == ["payments"]


def test_an_outsider_sees_no_report(client, outsider, audit_run):
    grant(outsider, "list_reports", "view_globalreport", "download_report")
    client.force_login(outsider)
    assert client.get("/api/v1/reports").json() == {"reports": [], "page": 0, "count": 0}
    assert client.get(f"/api/v1/reports/{audit_run.calico_id}/download").status_code == 404


def test_an_activity_summary_is_for_viewers_who_see_everything(client, scoped_user, ingest):
    run = report_run_now(report("activity-summary"), start=START, end=END)
    grant(scoped_user, "list_reports", "view_globalreport", "download_report")
    client.force_login(scoped_user)
    assert client.get("/api/v1/reports").json()["count"] == 0
    answer = client.get(f"/api/v1/reports/{run.calico_id}/download")
    assert answer.status_code == 403 and "cannot be cut" in answer.json()["error"]


def test_a_download_is_in_audituis_own_trail(client, admin, audit_run, store):
    from auditui.access.scope import ViewerScope
    from auditui.events.store import EventQuery

    client.force_login(admin)
    client.get(f"/api/v1/reports/{audit_run.calico_id}/download", {"format": "summary.csv"})
    [event] = store.search(EventQuery(scope=ViewerScope.all(), clusters=("auditui",),
                                      filters={"resource": "reportdownloads"})).records
    assert event.name == audit_run.calico_id and event.username == "admin"
    assert event.raw["requestObject"] == {"formats": ["summary.csv"]}

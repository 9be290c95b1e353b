"""policy-audit and activity-summary, generated from what the store returns, on every backend."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
import yaml

from reports import files
from reports.models import GlobalReport, ReportRun
from reports.runs import report_run_now
from tests.factories import audit_event

START = datetime(2026, 11, 20, 0, 0, tzinfo=UTC)
END = START + timedelta(days=1)


def at(hours: float) -> datetime:
    return START + timedelta(hours=hours)


def policy(verb: str, hours: float, *, code: int = 200, name: str = "allow-web", group: str = "networking.k8s.io",
           resource: str = "networkpolicies", namespace: str | None = "payments") -> dict:
    return audit_event(verb=verb, resource=resource, api_group=group, namespace=namespace, name=name, code=code,
                       time=at(hours), level="RequestResponse")


def report(report_type: str, name: str = "daily", **spec) -> GlobalReport:
    return GlobalReport.objects.create(name=name, report_type=report_type, schedule="0 0 * * *",
                                       spec={"reportType": report_type, "schedule": "0 0 * * *", **spec})


def read_csv(run: ReportRun, fmt: str = "summary.csv") -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(files.read(run.calico_id, fmt).decode())))


POLICY_EVENTS = [
    policy("create", 1), policy("patch", 2), policy("update", 3),
    policy("create", 4, name="deny-all", group="projectcalico.org", resource="globalnetworkpolicies", namespace=None),
    policy("delete", 5, name="deny-all", group="projectcalico.org", resource="globalnetworkpolicies", namespace=None),
    policy("delete", 6, code=403),  # a failed attempt: listed apart, not counted
    policy("create", 7, group="crd.projectcalico.org"),  # the Calico API server's own CRD write
    policy("get", 8),  # a read, not a change
    audit_event(verb="create", resource="pods", namespace="payments", name="web-1", time=at(9)),
    policy("delete", 30),  # after the interval
]


def test_it_writes_policy_audit_files_with_calicos_columns(backend_store, ingest):
    ingest(POLICY_EVENTS, cluster="c1")
    run = report_run_now(report("policy-audit"), start=START, end=END)
    assert run.state == ReportRun.SUCCEEDED, run.error
    assert run.calico_id.startswith("daily_policy-audit_")
    [row] = read_csv(run)
    assert list(row)[:7] == ["startTime", "endTime", "endpointSelector", "namespaceNames", "namespaceSelector",
                             "serviceAccountNames", "serviceAccountSelectors"]
    assert row["startTime"] == "2026-11-20T00:00:00Z" and row["endTime"] == "2026-11-21T00:00:00Z"
    assert (row["numCreatedPolicies"], row["numModifiedPolicies"], row["numDeletedPolicies"]) == ("2", "2", "1")
    events = json.loads(files.read(run.calico_id, "events.json"))
    assert [e["verb"] for e in events] == ["create", "patch", "update", "create", "delete", "delete"]
    assert yaml.safe_load(files.read(run.calico_id, "events.yaml")) == events
    assert run.summary["numFailed"] == 1 and run.summary["failedAttempts"][0]["code"] == 403


def test_it_summarises_the_intervals_activity_in_the_store(backend_store, ingest):
    exec_event = audit_event(verb="create", resource="pods", namespace="payments", name="web-1", time=at(3),
                             username="bob")
    exec_event["objectRef"]["subresource"] = "exec"
    ingest([
        *POLICY_EVENTS,
        audit_event(verb="delete", resource="pods", namespace="payments", name="web-0", time=at(2)),
        audit_event(verb="create", resource="namespaces", namespace=None, name="team-x", time=at(2)),
        audit_event(verb="get", resource="secrets", namespace="payments", name="db", time=at(2), code=403,
                    username="mallory"),
        audit_event(verb="create", resource="serviceaccounts", namespace="payments", name="ci", time=at(2)),
        audit_event(verb="create", resource="rolebindings", api_group="rbac.authorization.k8s.io",
                    namespace="payments", name="ci-admin", time=at(2)),
        exec_event,
    ], cluster="c1")
    run = report_run_now(report("activity-summary"), start=START, end=END)
    assert run.state == ReportRun.SUCCEEDED, run.error
    [row] = read_csv(run)
    assert {key: row[key] for key in ("numPodsCreated", "numPodsDeleted", "numNamespacesCreated", "numForbidden",
                                      "numExecSessions", "numServiceAccountsCreated", "numRbacBindingChanges",
                                      "numPolicyChanges")} == {
        "numPodsCreated": "1", "numPodsDeleted": "1", "numNamespacesCreated": "1", "numForbidden": "2",
        "numExecSessions": "1", "numServiceAccountsCreated": "1", "numRbacBindingChanges": "1",
        "numPolicyChanges": "5"}
    assert row["numEvents"] == "15"  # all but the one after the interval
    html = files.read(run.calico_id, "summary.html").decode()
    assert "/policies/networkpolicies.networking.k8s.io/payments/allow-web/?cluster=c1" in html
    assert "mallory" in html


def test_it_keeps_only_policies_applied_to_the_selected_endpoints(db, ingest):
    pytest.importorskip("auditui.state.interval")
    ingest(POLICY_EVENTS, cluster="c1")
    run = report_run_now(report("policy-audit", endpoints={"namespaces": {"names": ["nowhere"]}}),
                         start=START, end=END)
    assert run.state == ReportRun.SUCCEEDED, run.error
    assert json.loads(files.read(run.calico_id, "events.json")) == []


def test_it_keeps_the_events_of_policies_applied_to_the_selected_endpoints(db, ingest):
    from tests.state.story import ClusterStory

    story = ClusterStory()
    story.create("pods", "web", "payments", labels={"app": "web"})
    story.create("pods", "db", "payments", labels={"app": "db"})
    start = story.at(1)
    story.create("networkpolicies", "web-in", "payments", spec={"podSelector": {"matchLabels": {"app": "web"}}},
                 minutes=5)
    story.create("networkpolicies", "db-in", "payments", spec={"podSelector": {"matchLabels": {"app": "db"}}})
    story.patch("networkpolicies", "web-in", "payments", body={"metadata": {"labels": {"owner": "sre"}}})
    end = story.at(10)
    ingest(story.events, cluster="c1")
    selected = report("policy-audit", name="web-only", endpoints={"selector": "app == 'web'"})
    run = report_run_now(selected, start=start, end=end)
    assert run.state == ReportRun.SUCCEEDED, run.error
    events = json.loads(files.read(run.calico_id, "events.json"))
    assert [(e["verb"], e["objectRef"]["name"]) for e in events] == [("create", "web-in"), ("patch", "web-in")]
    [row] = read_csv(run)
    assert row["endpointSelector"] == "app == 'web'" and row["numCreatedPolicies"] == "1"


def test_it_selects_endpoints_by_their_namespaces_labels(db, ingest):
    from tests.state.story import ClusterStory

    story = ClusterStory()
    story.create("namespaces", "payments", labels={"department": "accounts"})
    story.create("namespaces", "shop", labels={"department": "sales"})
    story.create("pods", "web", "payments", labels={"app": "web"})
    story.create("pods", "front", "shop", labels={"app": "web"})
    start = story.at(1)
    story.create("networkpolicies", "pay-in", "payments", spec={"podSelector": {}}, minutes=5)
    story.create("networkpolicies", "shop-in", "shop", spec={"podSelector": {}})
    end = story.at(10)
    ingest(story.events, cluster="c1")
    selected = report("policy-audit", endpoints={"namespaces": {"selector": "department == 'accounts'"}})
    run = report_run_now(selected, start=start, end=end)
    assert run.state == ReportRun.SUCCEEDED, run.error
    events = json.loads(files.read(run.calico_id, "events.json"))
    assert [e["objectRef"]["name"] for e in events] == ["pay-in"]

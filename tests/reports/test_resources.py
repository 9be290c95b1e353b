"""GlobalReport and GlobalReportType through ``manage.py apply/get/delete``."""

from __future__ import annotations

import pytest
import yaml
from django.core.management import CommandError

from reports.models import GlobalReport
from tests.reports.conftest import DAILY_AUDIT, INVENTORY, POLICY_AUDIT, run_command


def test_it_applies_calicos_examples_unchanged(db, apply_text):
    assert apply_text(POLICY_AUDIT + "---\n" + INVENTORY).splitlines() == [
        "globalreport/monthly-widgets-controller-tigera-policy-audit created",
        "globalreport/weekly-full-inventory created",
    ]
    assert apply_text(INVENTORY).strip() == "globalreport/weekly-full-inventory unchanged"
    changed = apply_text(INVENTORY.replace("0 0 * * 0", "0 1 * * 0"))
    assert changed.strip() == "globalreport/weekly-full-inventory configured"
    report = GlobalReport.objects.get(name="monthly-widgets-controller-tigera-policy-audit")
    assert report.spec["endpoints"]["namespaces"] == {"names": ["widgets"]}


@pytest.mark.parametrize("change, field", [
    ("schedule: 0 0 * * *", "spec.schedule"),
    ("reportType: cis-benchmark", "spec.reportType"),
    ("reportType: nonsense", "spec.reportType"),
    ("suspend: maybe", "spec.suspend"),
    ("colour: blue", "spec.colour"),
])
def test_it_refuses_an_invalid_report_naming_the_field(db, apply_text, change, field):
    text = DAILY_AUDIT.replace("schedule: 0 0 * * *", "schedule: '* * * * *'") if field == "spec.schedule" else (
        DAILY_AUDIT.replace("reportType: policy-audit", change) if "reportType" in change
        else DAILY_AUDIT + f"  {change}\n")
    with pytest.raises(CommandError) as error:
        apply_text(text)
    assert field in str(error.value)
    assert not GlobalReport.objects.exists()


def test_it_says_why_cis_benchmark_is_refused(db, apply_text):
    with pytest.raises(CommandError) as error:
        apply_text(DAILY_AUDIT.replace("policy-audit", "cis-benchmark"))
    assert "not supported by auditui" in str(error.value)


def test_it_refuses_a_bad_endpoints_selector(db, apply_text):
    with pytest.raises(CommandError) as error:
        apply_text(DAILY_AUDIT + "  endpoints:\n    selector: \"app == \"\n")
    assert "spec.endpoints.selector" in str(error.value)


def test_it_prints_the_report_back_with_calicos_status(db, apply_text):
    apply_text(DAILY_AUDIT)
    document = yaml.safe_load(run_command("get", "globalreports", "daily-policy-audit", "-o", "yaml"))
    assert document["kind"] == "GlobalReport" and document["spec"]["schedule"] == "0 0 * * *"
    assert document["status"] == {}
    assert "daily-policy-audit" in run_command("get", "globalreport")


def test_it_lists_the_builtin_report_types(db):
    listed = yaml.safe_load(run_command("get", "globalreporttypes", "-o", "yaml"))
    names = [item["metadata"]["name"] for item in listed["items"]]
    assert names == ["activity-summary", "inventory", "network-access", "policy-audit"]
    audit = next(item for item in listed["items"] if item["metadata"]["name"] == "policy-audit")
    assert [t["name"] for t in audit["spec"]["downloadTemplates"]] == ["summary.csv", "events.json", "events.yaml"]


def test_it_deletes_a_report_and_refuses_to_delete_a_builtin_type(db, apply_text):
    apply_text(DAILY_AUDIT)
    deleted = run_command("delete", "globalreport", "daily-policy-audit")
    assert deleted.strip() == "globalreport/daily-policy-audit deleted"
    assert not GlobalReport.objects.exists()
    with pytest.raises(CommandError, match="built-in"):
        run_command("delete", "globalreporttype", "policy-audit")


def test_changes_to_definitions_are_in_audituis_own_trail(db, apply_text, store, django_capture_on_commit_callbacks):
    from auditui.access.scope import ViewerScope
    from auditui.events.store import EventQuery

    with django_capture_on_commit_callbacks(execute=True):
        apply_text(DAILY_AUDIT)
    with django_capture_on_commit_callbacks(execute=True):
        run_command("delete", "globalreport", "daily-policy-audit")
    events = store.search(EventQuery(scope=ViewerScope.all(), clusters=("auditui",),
                                     filters={"resource": "globalreports"})).records
    assert sorted(e.verb for e in events) == ["create", "delete"]
    created = next(e for e in events if e.verb == "create")
    assert created.raw["responseObject"]["spec"]["schedule"] == "0 0 * * *"

"""``/api/v1/globalreports``: CRUD of GlobalReport definitions, behind model permissions."""

from __future__ import annotations

import yaml
from django.contrib.auth.models import Permission

from reports.models import GlobalReport
from tests.reports.conftest import DAILY_AUDIT

DOCUMENT = yaml.safe_load(DAILY_AUDIT)


def test_it_creates_reads_replaces_and_deletes_a_report(client, admin):
    client.force_login(admin)
    created = client.post("/api/v1/globalreports", DOCUMENT, content_type="application/json")
    assert created.status_code == 201 and created.json()["metadata"]["name"] == "daily-policy-audit"
    assert client.post("/api/v1/globalreports", DOCUMENT, content_type="application/json").status_code == 409
    changed = {**DOCUMENT, "spec": {**DOCUMENT["spec"], "schedule": "0 6 * * *"}}
    replaced = client.put("/api/v1/globalreports/daily-policy-audit", changed, content_type="application/json")
    assert replaced.status_code == 200 and replaced.json()["spec"]["schedule"] == "0 6 * * *"
    listed = client.get("/api/v1/globalreports").json()
    assert [item["metadata"]["name"] for item in listed["items"]] == ["daily-policy-audit"]
    assert client.delete("/api/v1/globalreports/daily-policy-audit").status_code == 204
    assert client.get("/api/v1/globalreports/daily-policy-audit").status_code == 404


def test_it_answers_400_naming_the_field(client, admin):
    client.force_login(admin)
    bad = {**DOCUMENT, "spec": {"reportType": "policy-audit", "schedule": "* * * * *"}}
    answer = client.post("/api/v1/globalreports", bad, content_type="application/json")
    assert answer.status_code == 400 and answer.json()["field"] == "spec.schedule"


def test_it_needs_the_permissions_to_read_and_to_change(client, outsider):
    client.force_login(outsider)
    assert client.get("/api/v1/globalreports").status_code == 403
    outsider.user_permissions.add(Permission.objects.get(codename="view_globalreport"))
    assert client.get("/api/v1/globalreports").status_code == 200
    assert client.post("/api/v1/globalreports", DOCUMENT, content_type="application/json").status_code == 403
    assert not GlobalReport.objects.exists()

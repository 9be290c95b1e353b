"""The definition editor: YAML in, validation errors naming the field, permissions."""

from __future__ import annotations

from reports.models import GlobalReport
from tests.reports.conftest import DAILY_AUDIT


def test_it_creates_edits_and_deletes_a_report(client, admin):
    client.force_login(admin)
    assert "reportType: policy-audit" in client.get("/reports/definitions/new/").content.decode()
    assert client.post("/reports/definitions/new/", {"definition": DAILY_AUDIT}).status_code == 302
    edited = client.get("/reports/definitions/daily-policy-audit/").content.decode()
    assert "schedule: 0 0 * * *" in edited
    client.post("/reports/definitions/daily-policy-audit/",
                {"definition": DAILY_AUDIT.replace("0 0 * * *", "0 6 * * *")})
    assert GlobalReport.objects.get().schedule == "0 6 * * *"
    client.post("/reports/definitions/daily-policy-audit/", {"delete": "1"})
    assert not GlobalReport.objects.exists()


def test_it_shows_the_invalid_field_and_keeps_the_text(client, admin):
    client.force_login(admin)
    answer = client.post("/reports/definitions/new/", {"definition": DAILY_AUDIT.replace("0 0 * * *", "'* * * * *'")})
    assert answer.status_code == 400
    assert "spec.schedule" in answer.content.decode() and "* * * * *" in answer.content.decode()
    assert not GlobalReport.objects.exists()


def test_it_needs_the_permission_to_add(client, scoped_user):
    client.force_login(scoped_user)
    assert client.post("/reports/definitions/new/", {"definition": DAILY_AUDIT}).status_code == 403

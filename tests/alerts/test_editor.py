"""The rule editor: from a template, a check that says what ``apply`` would and previews the
matches in the last lookback (of what the viewer may see), saving behind the permission."""

from __future__ import annotations

import time_machine
from django.utils import timezone

from alerts.models import GlobalAlert
from tests.alerts.conftest import minutes
from tests.alerts.test_resources import CALICO_EXAMPLE


def test_it_starts_from_a_template(client, db, admin):
    client.force_login(admin)
    page = client.get("/alerts/new/?template=policy.pod").content.decode()
    assert "change detected for pod" in page and "<option selected>policy.pod</option>" in page


def test_it_checks_as_apply_would_naming_the_field(client, db, admin):
    client.force_login(admin)
    fragment = client.post("/alerts/check", {"text": CALICO_EXAMPLE.replace("dataSet: audit", "dataSet: waf")})
    assert "spec.dataSet" in fragment.content.decode() and "audit logs only" in fragment.content.decode()


def test_it_previews_what_the_query_matches_in_the_last_lookback(client, db, scoped_user, pod_created, admin):
    from django.contrib.auth.models import Permission

    scoped_user.user_permissions.add(Permission.objects.get(codename="change_globalalert"))
    now = timezone.now()
    pod_created("payments", now - minutes(2), name="seen")
    pod_created("shop", now - minutes(2), name="hidden")
    client.force_login(scoped_user)
    text = CALICO_EXAMPLE.replace("globalnetworksets", "pods")
    with time_machine.travel(now, tick=False):
        fragment = client.post("/alerts/check", {"text": text}).content.decode()
    assert "matches 1 event you may see" in fragment and "payments/pods/seen" in fragment


def test_it_saves_and_goes_to_the_rules_page(client, db, admin):
    client.force_login(admin)
    response = client.post("/alerts/save", {"text": CALICO_EXAMPLE})
    assert response.status_code == 302 and response["Location"] == "/alerts/rules/policy.globalnetworkset/"
    assert GlobalAlert.objects.get().spec["lookback"] == "10m"
    page = client.get("/alerts/rules/policy.globalnetworkset/edit/").content.decode()
    assert "policy.globalnetworkset" in page and "status" not in page.split("<textarea")[1].split("</textarea>")[0]


def test_it_keeps_the_text_and_says_why_when_it_cannot_save(client, db, admin):
    client.force_login(admin)
    response = client.post("/alerts/save", {"text": CALICO_EXAMPLE.replace("severity: 100", "severity: 0")})
    assert response.status_code == 400 and "spec.severity" in response.content.decode()
    assert not GlobalAlert.objects.exists()


def test_it_needs_the_permission_to_edit(client, db, scoped_user):
    client.force_login(scoped_user)
    assert client.get("/alerts/new/").status_code == 403
    assert client.post("/alerts/save", {"text": CALICO_EXAMPLE}).status_code == 403

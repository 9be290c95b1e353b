"""The alert pages: the inbox (scoped, filters, bulk actions, the count in the navigation) and a
rule's page (definition, status, firings, the 7-day test)."""

from __future__ import annotations

import pytest
import time_machine

from alerts.models import AlertEvent
from alerts.runs import alert_run
from tests.alerts.conftest import T0, minutes

PAYMENTS_PODS = 'verb=create AND "objectRef.resource"=pods AND "objectRef.namespace"=payments'


@pytest.fixture
def fired(make_alert, pod_created):
    alert = make_alert("payments-pods", query=PAYMENTS_PODS, description="pod created in payments")
    pod_created("payments", T0 - minutes(1), name="api")
    alert_run(alert_id=alert.pk, now=T0)
    return AlertEvent.objects.get()


def test_it_lists_the_viewers_alert_events_with_a_link_to_the_matching_events(client, fired, scoped_user):
    client.force_login(scoped_user)
    page = client.get("/alerts/").content.decode()
    assert "pod created in payments" in page and "objectRef.name=api" in page
    assert "/events/?query=" in page and "2026-12-01T09%3A50%3A00Z" in page
    assert 'id="new-alert-count"' in page


def test_it_shows_the_outsider_nothing(client, fired, outsider):
    client.force_login(outsider)
    page = client.get("/alerts/").content.decode()
    assert "pod created in payments" not in page and "new-alert-count" not in page


def test_it_acknowledges_from_the_inbox_and_the_count_drops(client, fired, scoped_user):
    client.force_login(scoped_user)
    response = client.post("/alerts/act", {"action": "acknowledge", "ids": [fired.pk], "next": "/alerts/"})
    assert response.status_code == 302 and response["Location"] == "/alerts/"
    fired.refresh_from_db()
    assert fired.state == "acknowledged" and fired.state_changed_by == scoped_user
    page = client.get("/alerts/").content.decode()
    assert "new-alert-count" not in page and "by payments-viewer" in page


def test_it_answers_400_naming_a_bad_filter(client, fired, admin):
    client.force_login(admin)
    response = client.get("/alerts/?severity=500")
    assert response.status_code == 400 and "severity" in response.content.decode()


def test_it_shows_a_rules_page_with_its_definition_status_and_firings(client, fired, admin):
    client.force_login(admin)
    with time_machine.travel(T0 + minutes(1), tick=False):
        page = client.get("/alerts/rules/payments-pods/").content.decode()
    assert "kind: GlobalAlert" in page and "healthy" in page and "pod created in payments" in page
    assert "Test this rule on the last 7 days" in page


def test_it_tests_a_rule_on_the_last_seven_days(client, fired, admin):
    client.force_login(admin)
    with time_machine.travel(T0 + minutes(1), tick=False):
        page = client.get("/alerts/rules/payments-pods/?backtest=7d").content.decode()
    assert "it would have raised 1 alert event" in page


def test_it_answers_404_for_an_unknown_rule(client, db, admin):
    client.force_login(admin)
    assert client.get("/alerts/rules/nope/").status_code == 404

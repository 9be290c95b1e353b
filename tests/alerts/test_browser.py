"""The inbox in a real browser: an alert fires, shows in the inbox, is acknowledged, and the
count of new alerts in the navigation drops."""

from __future__ import annotations

import pytest

from alerts.runs import alerts_evaluate_due
from tests.alerts.conftest import T0, minutes

# serialized_rollback: the built-in templates (a data migration) are back for the next tests.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_it_acknowledges_a_fired_alert_and_the_count_drops(log_in, scoped_user, make_alert, pod_created):
    make_alert("payments-pods", query='verb=create AND "objectRef.resource"=pods AND "objectRef.namespace"=payments',
               description="pod created in payments")
    pod_created("payments", T0 - minutes(2), name="api-1")
    pod_created("payments", T0 - minutes(1), name="api-2")
    alerts_evaluate_due(now=T0)
    page = log_in(scoped_user)
    page.goto("/alerts/")
    assert page.locator("#new-alert-count").inner_text() == "2"
    rows = page.locator("table.alert-events tbody tr")
    assert rows.count() == 2 and "pod created in payments" in rows.first.inner_text()
    rows.first.locator("input[type=checkbox]").check()
    with page.expect_navigation():
        page.click("button[value=acknowledge]")
    assert page.locator("#new-alert-count").inner_text() == "1"
    assert "acknowledged" in page.locator("table.alert-events tbody tr").first.inner_text()
    assert "by payments-viewer" in page.content()


def test_it_checks_a_rule_as_it_is_typed(log_in, admin):
    page = log_in(admin)
    page.goto("/alerts/new/")
    assert "Valid." in page.locator("#rule-check").inner_text()
    text = page.locator("textarea[name=text]")
    assert "severity: 50\n" in text.input_value()
    text.fill(text.input_value().replace("severity: 50\n", "severity: 500\n"))
    page.locator("#rule-check code", has_text="spec.severity").wait_for()
    assert "1 to 100" in page.locator("#rule-check").inner_text()

"""auditui/events/dropping.py: drop rules never break ingest. A rule is tried on representative
events when saved (refused with the reason when it fails); at ingest a rule that fails on an
event leaves the event stored and counts the failure on the rule, shown in the admin and on the
overview; matching is in linear time, so a hostile request URI cannot stall the webhook."""

from __future__ import annotations

import json
import time

import pytest
from django.utils import timezone

from auditui.access.models import IngestToken
from auditui.events import dropping
from auditui.events.ingest import ingest_events
from auditui.events.models import AuditEvent, DropRule
from auditui.events.query import matcher
from tests.factories import audit_event, event_list

pytestmark = pytest.mark.django_db

HUGE = "9" * 5000


def _post(client, events, token):
    return client.post("/api/v1/audit/webhook", data=json.dumps(event_list(events)),
                       content_type="application/json", headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def token() -> str:
    return IngestToken.issue(cluster="prod")[1]


@pytest.fixture
def failing_matcher(monkeypatch):
    """A fault in the matcher for events of user "mallory" (what a bug in a rule's evaluation
    does on one hostile event); every other event is matched as usual."""
    real = matcher._compare

    def compare(key, op, text, event):
        if event.column("username") == "mallory":
            raise RecursionError("maximum recursion depth exceeded")
        return real(key, op, text, event)

    monkeypatch.setattr(matcher, "_compare", compare)


def test_the_admin_refuses_a_rule_with_a_5000_digit_number_with_the_reason(client, admin):
    client.force_login(admin)
    response = client.post("/admin/events/droprule/add/", {
        "name": "huge", "cluster": "", "query": f"responseStatus.code = {HUGE}", "enabled": "on"})
    assert response.status_code == 200 and not DropRule.objects.exists()
    assert "a number has more than 4,300 digits (number length cap)" in response.content.decode()


def test_a_rule_saved_before_validation_does_not_break_the_webhook(client, token):
    # Saved before this check existed: it used to make every webhook call answer 500.
    rule = DropRule.objects.create(name="huge", query=f"responseStatus.code = {HUGE}")
    response = _post(client, [audit_event(), audit_event()], token)
    assert response.status_code == 200 and response.json()["ingested"] == 2
    rule.refresh_from_db()
    assert "number length cap" in rule.last_error and rule.last_error_at is not None


def test_a_rule_failing_on_an_event_keeps_it_and_counts_the_error(client, token, failing_matcher):
    DropRule.objects.create(name="reads", query="verb = get")
    events = [audit_event(username="alice"), audit_event(username="mallory"), audit_event(username="bob", verb="list")]
    response = _post(client, events, token)
    assert response.status_code == 200
    assert response.json()["ingested"] == 2 and response.json()["dropped"] == 1
    assert set(AuditEvent.objects.values_list("username", flat=True)) == {"mallory", "bob"}
    rule = DropRule.objects.get()
    assert (rule.dropped_total, rule.error_total) == (1, 1)
    assert rule.last_error == "RecursionError: maximum recursion depth exceeded"


def test_the_next_rule_still_applies_after_one_fails(failing_matcher):
    DropRule.objects.create(name="a first", query="verb = get")
    DropRule.objects.create(name="b second", query='"user.username" = mallory')
    report = ingest_events([audit_event(username="mallory")], cluster="c")
    # The second rule fails too (the fault is per event), so the event is kept, counted twice.
    assert (report.ingested, report.dropped) == (1, 0)
    assert sorted(DropRule.objects.values_list("error_total", flat=True)) == [1, 1]


def test_saving_refuses_a_rule_that_fails_on_a_representative_event(monkeypatch):
    from django.core.exceptions import ValidationError

    def broken(*_args):
        raise ValueError("cannot compare")

    monkeypatch.setattr(matcher, "_compare", broken)
    with pytest.raises(ValidationError) as error:
        DropRule(name="broken", query="verb = get").full_clean()
    assert "the rule fails on a Metadata-level get event (ValueError: cannot compare)" in str(error.value)


def test_it_tries_every_representative_event_without_failure():
    assert dropping.rule_problem('verb IN {"get","list"} AND requestObject.spec.replicas > 3') is None
    assert dropping.rule_problem('"user.username" = "system:*" OR requestURI = "*a*/api/*/watch*"') is None
    assert "expected a value" in dropping.rule_problem("verb = ")


def test_a_hostile_uri_does_not_stall_the_webhook(client, token):
    DropRule.objects.create(name="watches", query='requestURI = "*a*/api/*/watch*"')
    hostile = audit_event(requestURI="/api/v1/namespaces/" + "a" * 10_000 + "/pods")
    started = time.perf_counter()
    response = _post(client, [hostile, audit_event(requestURI="/a/api/v1/watch/pods")], token)
    assert response.status_code == 200 and response.json()["dropped"] == 1
    assert time.perf_counter() - started < 2  # was 42 s with a backtracking regular expression


def test_the_overview_and_the_admin_show_rule_errors(client, admin):
    DropRule.objects.create(name="reads", query="verb = get", error_total=3, last_error_at=timezone.now(),
                            last_error="RecursionError: maximum recursion depth exceeded")
    client.force_login(admin)
    overview = client.get("/").content.decode()
    assert 'data-testid="drop-rule-error"' in overview and "RecursionError: maximum recursion" in overview
    assert "the events it failed on were kept" in overview
    listing = client.get("/admin/events/droprule/").content.decode()
    assert "RecursionError: maximum recursion depth exceeded" in listing

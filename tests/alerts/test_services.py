"""Inbox actions: new → acknowledged → resolved or dismissed, with who and when, in bulk, and only
on alert events the viewer sees."""

from __future__ import annotations

import pytest

from alerts.models import AlertEvent
from alerts.runs import alert_run
from alerts.services import alert_events_act
from auditui.access.scope import scope_for
from tests.alerts.conftest import T0, minutes


@pytest.fixture
def fired(make_alert, pod_created):
    alert = make_alert("pods", query='verb=create AND "objectRef.resource"=pods')
    pod_created("payments", T0 - minutes(2), name="a")
    pod_created("payments", T0 - minutes(1), name="b")
    pod_created("shop", T0 - minutes(1), name="c")
    alert_run(alert_id=alert.pk, now=T0)
    return {e.keys["objectRef.name"]: e.pk for e in AlertEvent.objects.all()}


def test_it_acknowledges_in_bulk_recording_who_and_when(fired, scoped_user):
    changed = alert_events_act(scope=scope_for(scoped_user), user=scoped_user, ids=fired.values(),
                               action="acknowledge")
    assert changed == 2  # the shop event is not the payments viewer's to touch
    event = AlertEvent.objects.get(pk=fired["a"])
    assert event.state == "acknowledged" and event.state_changed_by == scoped_user and event.state_changed_at
    assert AlertEvent.objects.get(pk=fired["c"]).state == "new"


def test_it_moves_on_only_from_the_states_an_action_applies_to(fired, admin):
    scope = scope_for(admin)
    assert alert_events_act(scope=scope, user=admin, ids=[fired["a"]], action="dismiss") == 1
    assert alert_events_act(scope=scope, user=admin, ids=[fired["a"]], action="acknowledge") == 0
    assert alert_events_act(scope=scope, user=admin, ids=[fired["b"]], action="resolve") == 1
    assert AlertEvent.objects.get(pk=fired["b"]).state == "resolved"


def test_it_refuses_an_unknown_action(fired, admin):
    with pytest.raises(ValueError, match="unknown action"):
        alert_events_act(scope=scope_for(admin), user=admin, ids=[fired["a"]], action="snooze")


def test_it_records_rule_changes_in_auditui_s_own_trail(db, django_capture_on_commit_callbacks):
    from alerts.services import alert_apply, alert_delete
    from alerts.spec import clean_spec
    from auditui.access.scope import ViewerScope
    from auditui.events.store import EventQuery, get_store

    spec = clean_spec({"description": "d", "severity": 5, "dataSet": "audit", "query": "verb=create"}).spec
    with django_capture_on_commit_callbacks(execute=True):
        alert_apply(name="watched", spec=spec)
        alert_delete(name="watched")
    records = get_store().search(EventQuery(scope=ViewerScope.all(), clusters=("auditui",))).records
    assert sorted((r.verb, r.resource, r.name) for r in records) == [
        ("create", "globalalerts", "watched"), ("delete", "globalalerts", "watched")]

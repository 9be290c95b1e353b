"""Evaluation on every backend: Calico's semantics without Calico's duplicates, schedules claimed
once, status per alert. Time is the runs' own instant (``now``), moved on as the scheduler would."""

from __future__ import annotations

import pytest

from alerts.models import AlertEvent, GlobalAlert
from alerts.runs import alert_run, alerts_claim_due, alerts_evaluate_due
from tests.alerts.conftest import T0, minutes
from tests.factories import audit_event

PAYMENTS_PODS = 'verb=create AND "objectRef.resource"=pods AND "objectRef.namespace"=payments'


def run_at(alert: GlobalAlert, now):
    return alert_run(alert_id=alert.pk, now=now)


def test_it_fires_once_per_matching_record_across_overlapping_windows(backend_store, make_alert, pod_created):
    alert = make_alert("payments-pods", query=PAYMENTS_PODS)
    first = pod_created("payments", T0 - minutes(3), name="api-1")
    pod_created("shop", T0 - minutes(2))
    assert len(run_at(alert, T0).new) == 1
    pod_created("payments", T0 + minutes(2), name="api-2")
    second = run_at(alert, T0 + minutes(5))  # its window still holds api-1
    assert len(second.new) == 1
    events = AlertEvent.objects.order_by("time")
    assert [e.keys["objectRef.name"] for e in events] == ["api-1", "api-2"]
    assert events[0].audit_ids == [first["auditID"]] and events[0].pairs == [["c1", "payments"]]


def test_it_keeps_a_bucket_over_its_threshold_as_one_ongoing_event_until_it_resolves(
        backend_store, make_alert, ingest):
    alert = make_alert("denied", query="responseStatus.code=403", aggregateBy=["user.username"],
                       metric="count", condition="gte", threshold=3, summary="${user.username} denied ${count} times")
    ingest([audit_event(username="bob", code=403, time=T0 - minutes(m)) for m in (1, 2, 3)]
           + [audit_event(username="carol", code=403, time=T0 - minutes(1))])
    first = run_at(alert, T0)
    [event] = AlertEvent.objects.filter(pk__in=first.new)
    assert event.description == "bob denied 3 times" and event.keys["user.username"] == "bob"
    assert event.count == 3 and event.audit_ids == []  # a stored bucket leads to its records by its keys
    ingest([audit_event(username="bob", code=403, time=T0 + minutes(1))])
    again = run_at(alert, T0 + minutes(5))
    assert again.new == [] and again.ongoing == 1
    event.refresh_from_db()
    assert event.count == 4 and event.ongoing and event.state == AlertEvent.State.NEW
    assert run_at(alert, T0 + minutes(20)).resolved == 1
    event.refresh_from_db()
    assert not event.ongoing and event.state == AlertEvent.State.RESOLVED and event.open_key is None
    ingest([audit_event(username="bob", code=403, time=T0 + minutes(21 + m / 10)) for m in range(3)])
    assert len(run_at(alert, T0 + minutes(25)).new) == 1  # the same bucket fires anew


def test_it_compares_a_metric_once_per_run_without_aggregation(backend_store, make_alert, ingest):
    alert = make_alert("server-errors", metric="max", field="responseStatus.code", condition="gte",
                       threshold=500, description="worst code ${max}")
    ingest([audit_event(code=200, time=T0 - minutes(2)), audit_event(code=503, namespace="shop", time=T0 - minutes(1))])
    [event] = AlertEvent.objects.filter(pk__in=run_at(alert, T0).new)
    assert event.kind == "metric" and event.value == 503 and event.description == "worst code 503"
    assert sorted(map(tuple, event.pairs)) == [("c1", "default"), ("c1", "shop")]


def test_it_fires_every_bucket_when_there_is_no_metric(backend_store, make_alert, pod_created):
    alert = make_alert("pods-by-ns", query='verb=create', aggregateBy=["objectRef.namespace"],
                       description="pods created in ${objectRef.namespace}")
    pod_created("payments", T0 - minutes(1))
    pod_created("shop", T0 - minutes(1))
    described = sorted(AlertEvent.objects.filter(pk__in=run_at(alert, T0).new).values_list("description", flat=True))
    assert described == ["pods created in payments", "pods created in shop"]


def test_it_claims_a_due_alert_once_and_catches_up_once(db, make_alert):
    alert = make_alert("claimed", query="verb=create")
    GlobalAlert.objects.filter(pk=alert.pk).update(next_run_at=T0 - minutes(60))  # 12 periods missed
    assert alerts_claim_due(now=T0) == [alert.pk]
    assert alerts_claim_due(now=T0) == []  # a duplicated tick finds nothing due
    alert.refresh_from_db()
    assert alert.next_run_at == T0 + minutes(5)


def test_it_records_calicos_status(backend_store, make_alert, pod_created):
    alert = make_alert("status", query=PAYMENTS_PODS)
    pod_created("payments", T0 - minutes(1))
    alerts_evaluate_due(now=T0)
    alert.refresh_from_db()
    status = alert.status()
    assert status["healthy"] and status["lastExecuted"] == "2026-12-01T10:00:00Z"
    assert status["lastEvent"] == "2026-12-01T10:00:00Z" and status["errorConditions"] == []
    assert alert.recent_runs[0]["new"] == 1 and alert.recent_runs[0]["error"] == ""


def test_it_keeps_a_record_outside_the_lookback_out(backend_store, make_alert, pod_created):
    alert = make_alert("old", query=PAYMENTS_PODS)
    pod_created("payments", T0 - minutes(11))
    pod_created("payments", T0, name="at-the-end")  # the window is [now - lookback, now)
    assert run_at(alert, T0).new == []


@pytest.mark.parametrize("namespace, pair", [("payments", ["c1", "payments"]), (None, ["c1", ""])])
def test_it_keeps_the_pairs_behind_an_alert_event(backend_store, make_alert, ingest, namespace, pair):
    alert = make_alert("gnp", query='"objectRef.resource"=globalnetworkpolicies OR "objectRef.resource"=pods',
                       aggregateBy=["objectRef.name"], metric="count", condition="gt", threshold=0)
    ingest([audit_event(verb="create", resource="pods" if namespace else "globalnetworkpolicies",
                        namespace=namespace, name="x", time=T0 - minutes(1))])
    [event] = AlertEvent.objects.filter(pk__in=run_at(alert, T0).new)
    assert event.pairs == [pair]


def test_it_skips_a_rule_deleted_after_its_claim(db, make_alert):
    alert = make_alert("gone", query="verb=create")
    claimed = alerts_claim_due(now=T0)
    assert claimed == [alert.pk]
    alert.delete()
    assert alert_run(alert_id=claimed[0], now=T0).error == "the alert was deleted"

"""The inbox through the viewer's scope: an alert event is seen only when every pair behind it is
(on every backend: the pairs come from the store's aggregations)."""

from __future__ import annotations

from alerts.runs import alert_run
from alerts.selectors import InboxFilters, new_alert_count, visible_ids
from auditui.access.scope import scope_for
from tests.alerts.conftest import T0, minutes
from tests.factories import audit_event

PODS = 'verb=create AND "objectRef.resource"=pods'


def test_it_shows_a_pod_created_in_payments_to_its_viewer_only(backend_store, make_alert, pod_created, admin,
                                                               scoped_user, outsider):
    alert = make_alert("payments-pods", query=PODS + ' AND "objectRef.namespace"=payments')
    pod_created("payments", T0 - minutes(1))
    alert_run(alert_id=alert.pk, now=T0)
    assert len(visible_ids(scope=scope_for(scoped_user))) == 1
    assert len(visible_ids(scope=scope_for(admin))) == 1
    assert visible_ids(scope=scope_for(outsider)) == []


def test_it_hides_an_event_one_of_whose_pairs_the_viewer_may_not_see(backend_store, make_alert, pod_created,
                                                                    scoped_user, admin):
    alert = make_alert("all-pods", query=PODS, metric="count", condition="gt", threshold=0)
    pod_created("payments", T0 - minutes(2))
    pod_created("shop", T0 - minutes(1))
    alert_run(alert_id=alert.pk, now=T0)
    assert visible_ids(scope=scope_for(scoped_user)) == []
    assert new_alert_count(scope=scope_for(admin)) == 1


def test_it_needs_the_whole_cluster_for_a_cluster_scoped_object(db, make_alert, ingest, scoped_user, admin):
    alert = make_alert("gnp", query='"objectRef.resource"=globalnetworkpolicies')
    ingest([audit_event(verb="create", resource="globalnetworkpolicies", namespace=None, name="deny-all",
                        api_group="projectcalico.org", time=T0 - minutes(1))])
    alert_run(alert_id=alert.pk, now=T0)
    assert visible_ids(scope=scope_for(scoped_user)) == []
    assert len(visible_ids(scope=scope_for(admin))) == 1


def test_it_filters_by_alert_severity_cluster_namespace_and_state(db, make_alert, pod_created, admin):
    low = make_alert("low", query=PODS, severity=10)
    high = make_alert("high", query=PODS + ' AND "objectRef.namespace"=payments', severity=90)
    pod_created("payments", T0 - minutes(1), cluster="c2")
    pod_created("shop", T0 - minutes(1))
    for alert in (low, high):
        alert_run(alert_id=alert.pk, now=T0)
    scope = scope_for(admin)
    assert len(visible_ids(scope=scope)) == 3
    assert len(visible_ids(scope=scope, filters=InboxFilters(min_severity=50))) == 1
    assert len(visible_ids(scope=scope, filters=InboxFilters(alert="low", cluster="c2"))) == 1
    assert len(visible_ids(scope=scope, filters=InboxFilters(namespace="shop"))) == 1
    assert visible_ids(scope=scope, filters=InboxFilters(state="dismissed")) == []

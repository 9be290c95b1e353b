"""The EventStore behavioural suite: what every backend must serve (SQL for now)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from auditui.access.scope import Grant, ViewerScope
from auditui.events.normalize import normalize_event
from auditui.events.store import EventQuery, ObjectRef, StoreError
from tests.factories import audit_event

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 11, 1, tzinfo=UTC)
ALL = ViewerScope.all()


def _write(store, events, cluster="c1"):
    return store.write([normalize_event(e, cluster=cluster) for e in events])


@pytest.fixture
def populated(store):
    """Three hours of events in two clusters and three namespaces."""
    events = []
    for minute in range(0, 180, 10):
        for ns in ("payments", "frontend", None):
            events.append(audit_event(time=T0 + timedelta(minutes=minute), namespace=ns,
                                      verb="create" if minute % 20 == 0 else "get",
                                      resource="pods" if ns else "nodes", code=403 if minute == 30 else 200,
                                      username="alice" if ns == "payments" else "bob"))
    _write(store, events[: len(events) // 2], "c1")
    _write(store, events[len(events) // 2 :], "c2")
    return store


def test_it_writes_idempotently(store):
    events = [audit_event(), audit_event()]
    assert _write(store, events).ingested == 2
    result = _write(store, events)
    assert (result.ingested, result.duplicates) == (0, 2)


def test_it_searches_newest_first_with_a_cursor(populated):
    q = EventQuery(scope=ALL)
    seen, cursor = [], None
    while True:
        page = populated.search(q, page_size=7, cursor=cursor)
        seen.extend(page.records)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert len(seen) == populated.count(q) == 54
    keys = [(r.time, r.id) for r in seen]
    assert keys == sorted(keys, reverse=True)
    assert len({r.id for r in seen}) == 54


def test_it_filters_by_time_range_cluster_and_fields(populated):
    window = EventQuery(scope=ALL, start=T0 + timedelta(minutes=60), end=T0 + timedelta(minutes=120))
    assert populated.count(window) == 18
    assert populated.count(EventQuery(scope=ALL, clusters=("c2",))) == 27
    assert populated.count(EventQuery(scope=ALL, filters={"namespace": "payments", "verb": "create"})) == 9


def test_it_rejects_a_bad_cursor_and_unknown_filters(populated):
    with pytest.raises(StoreError):
        populated.search(EventQuery(scope=ALL), cursor="not-a-cursor")
    with pytest.raises(StoreError):
        EventQuery(scope=ALL, filters={"password": "x"})


def test_it_aggregates_by_fields_biggest_first(populated):
    groups = populated.aggregate(EventQuery(scope=ALL), group_by=["username"])
    assert [(g.keys, g.count) for g in groups] == [(("bob",), 36), (("alice",), 18)]
    by_two = populated.aggregate(EventQuery(scope=ALL), group_by=["cluster", "verb"], limit=None)
    assert sum(g.count for g in by_two) == 54
    assert len(by_two) == 4


def test_it_computes_metrics_over_numeric_fields(populated):
    groups = populated.aggregate(EventQuery(scope=ALL), group_by=["username"], metric="max", field="response_code")
    assert {g.keys[0]: g.value for g in groups} == {"alice": 403, "bob": 403}
    with pytest.raises(StoreError):
        populated.aggregate(EventQuery(scope=ALL), group_by=["username"], metric="avg", field="username")
    with pytest.raises(StoreError):
        populated.aggregate(EventQuery(scope=ALL), group_by=["raw"])


def test_it_counts_time_buckets_including_empty_ones(populated):
    q = EventQuery(scope=ALL, start=T0 - timedelta(hours=1), end=T0 + timedelta(hours=4))
    buckets = populated.histogram(q, interval=timedelta(hours=1))
    assert [b.start for b in buckets] == [T0 + timedelta(hours=h) for h in range(-1, 4)]
    assert [b.count for b in buckets] == [0, 18, 18, 18, 0]
    fine = populated.histogram(q, interval=timedelta(minutes=5))
    assert sum(b.count for b in fine) == 54


def test_it_returns_one_objects_history_oldest_first(store):
    def np_event(verb, minute, ns="payments", name="deny-all"):
        return audit_event(verb=verb, resource="networkpolicies", api_group="networking.k8s.io", namespace=ns,
                           name=name, time=T0 + timedelta(minutes=minute))

    _write(store, [np_event("patch", 5), np_event("create", 1), np_event("delete", 9), np_event("create", 2, name="x"),
                   np_event("create", 3, ns="frontend")])
    obj = ObjectRef(cluster="c1", resource="networkpolicies", namespace="payments", name="deny-all",
                    api_group="networking.k8s.io")
    assert [r.verb for r in store.history(EventQuery(scope=ALL), obj)] == ["create", "patch", "delete"]
    other_group = ObjectRef(cluster="c1", resource="networkpolicies", namespace="payments", name="deny-all",
                            api_group="projectcalico.org")
    assert store.history(EventQuery(scope=ALL), other_group) == []


def test_it_purges_before_a_time(populated):
    deleted = populated.purge(before=T0 + timedelta(minutes=60))
    assert deleted == 18
    assert populated.count(EventQuery(scope=ALL)) == 36
    assert populated.count(EventQuery(scope=ALL, end=T0 + timedelta(minutes=60))) == 0


def test_it_applies_the_viewer_scope_to_every_read(populated):
    payments = ViewerScope(grants=(Grant(clusters=("*",), namespaces=("payments",)),))
    q = EventQuery(scope=payments)
    assert populated.count(q) == 18
    assert {r.namespace for r in populated.search(q, page_size=100).records} == {"payments"}
    assert [g.keys for g in populated.aggregate(q, group_by=["namespace"])] == [("payments",)]
    assert sum(b.count for b in populated.histogram(
        EventQuery(scope=payments, start=T0, end=T0 + timedelta(hours=3)), interval=timedelta(hours=1))) == 18
    nothing = EventQuery(scope=ViewerScope.nothing())
    assert populated.count(nothing) == 0
    assert populated.search(nothing).records == []
    assert populated.aggregate(nothing, group_by=["cluster"]) == []


def test_it_hides_cluster_scoped_objects_from_namespace_scopes(populated):
    ns_only = ViewerScope(grants=(Grant(clusters=("c1",), namespaces=("*ments", "front?nd")),))
    records = populated.search(EventQuery(scope=ns_only), page_size=100).records
    assert {(r.cluster, r.namespace) for r in records} == {("c1", "payments"), ("c1", "frontend")}
    whole_c2 = ViewerScope(grants=(Grant(clusters=("c2",), namespaces=("*",)),))
    assert {r.resource for r in populated.search(EventQuery(scope=whole_c2), page_size=100).records} == {
        "pods", "nodes"}


def test_it_gets_one_event_only_within_scope(populated):
    record = populated.search(EventQuery(scope=ALL, filters={"namespace": "frontend"}), page_size=1).records[0]
    assert populated.get(ALL, record.id).audit_id == record.audit_id
    payments = ViewerScope(grants=(Grant(clusters=("*",), namespaces=("payments",)),))
    assert populated.get(payments, record.id) is None
    assert populated.get(ALL, "nope") is None


def test_it_groups_by_each_element_of_list_fields(store):
    _write(store, [audit_event(groups=["system:masters", "system:authenticated"]),
                   audit_event(groups=["system:authenticated"]), audit_event(groups=[]),
                   audit_event(namespace="payments", groups=["devs", "system:authenticated"])])
    groups = store.aggregate(EventQuery(scope=ALL), group_by=["user_groups"], limit=None)
    assert [(g.keys[0], g.count) for g in groups] == [
        ("system:authenticated", 3), ("devs", 1), ("system:masters", 1)]
    payments = ViewerScope(grants=(Grant(clusters=("*",), namespaces=("payments",)),))
    scoped = store.aggregate(EventQuery(scope=payments), group_by=["user_groups"], limit=1)
    assert [(g.keys[0], g.count) for g in scoped] == [("devs", 1)]


def test_it_groups_list_fields_for_a_viewer_who_sees_nothing(populated):
    assert populated.aggregate(EventQuery(scope=ViewerScope.nothing()), group_by=["source_ips"]) == []

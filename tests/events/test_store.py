"""The EventStore behavioural suite: what every backend must serve.

``store`` is parametrised over the backends (``tests/backends.py``): SQL, OpenSearch, and
Elasticsearch through its own client (via ``tests/es_proxy.py``); the search engines are marked
``opensearch``.
"""

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


@pytest.fixture
def store(backend_store):
    return backend_store


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
    times = [r.time for r in seen]
    assert times == sorted(times, reverse=True)
    assert len({r.id for r in seen}) == 54
    # Pages are slices of one order, whatever their size (ties on time included).
    assert [r.id for r in seen] == [r.id for r in populated.search(q, page_size=100).records]


def test_it_reads_every_record_page_by_page_in_the_search_order(populated):
    q = EventQuery(scope=ALL, clusters=("c1",))
    every = list(populated.every_record(q, page_size=4))
    assert len(every) == populated.count(q) == 27
    assert [r.id for r in every] == [r.id for r in populated.search(q, page_size=100).records]
    reader = populated.every_record(q, page_size=4)
    assert next(reader).id == every[0].id
    reader.close()  # a reader that stops early releases what its cursor holds


def test_it_pages_through_ties_exactly_once_in_one_order_whatever_the_page_size(store):
    # Search engines find a page's time floor with a cheaper sort first; pages must still come
    # out in exactly the order of one big page, ties at a page boundary included.
    same = T0 + timedelta(hours=1)
    events = [audit_event(time=same, name=f"tie-{n}") for n in range(15)]
    events += [audit_event(time=T0 + timedelta(minutes=n * 7), name=f"e-{n}") for n in range(25)]
    # Days and weeks apart too: a page's floor is looked for in the last day, week, then all.
    events += [audit_event(time=T0 - timedelta(days=n * n, hours=n), name=f"old-{n}") for n in range(1, 8)]
    for chunk in (events[:12], events[12:30], events[30:]):  # stored at different moments
        _write(store, chunk)
    for q in (EventQuery(scope=ALL), EventQuery(scope=ALL, start=T0 - timedelta(days=60), end=T0 + timedelta(days=1)),
              EventQuery(scope=ALL, start=T0 - timedelta(days=40), end=T0 + timedelta(hours=1, microseconds=1))):
        whole = [r.id for r in store.search(q, page_size=100).records]
        assert len(whole) == store.count(q) >= 30
        for size in (1, 4, 7, 15, 29):
            seen, cursor = [], None
            while True:
                page = store.search(q, page_size=size, cursor=cursor)
                seen += [r.id for r in page.records]
                if not page.next_cursor:
                    break
                cursor = page.next_cursor
            assert seen == whole, size


def test_it_counts_ranges_that_start_and_end_within_a_second(store):
    # "now-24h" to "now" carry microseconds; the hourly counts must not swallow or drop the
    # events of the first or last fraction of a second.
    hour = T0 + timedelta(hours=6)
    at = [hour, hour + timedelta(seconds=0.5), hour + timedelta(hours=2), hour + timedelta(hours=4),
          hour + timedelta(hours=4, seconds=0.5)]
    _write(store, [audit_event(time=t, name=f"e{n}") for n, t in enumerate(at)])
    q = EventQuery(scope=ALL, start=hour + timedelta(seconds=0.3), end=hour + timedelta(hours=4, seconds=0.3))
    assert {r.name for r in store.search(q).records} == {"e1", "e2", "e3"}
    assert store.count(q) == 3
    buckets = store.histogram(q, interval=timedelta(hours=1))
    assert sum(b.count for b in buckets) == 3 and buckets[-1].start == hour + timedelta(hours=4)


def test_it_reads_the_columns_alone_when_asked(populated):
    q = EventQuery(scope=ALL, filters={"namespace": "payments"})
    whole = populated.search(q, page_size=4)
    bare = populated.search(q, page_size=4, columns_only=True)
    assert [r.id for r in bare.records] == [r.id for r in whole.records]
    assert all(r.raw == {} for r in bare.records) and all(r.raw for r in whole.records)
    for full, columns in zip(whole.records, bare.records, strict=True):
        assert (columns.time, columns.verb, columns.username, columns.user_groups, columns.response_code) == (
            full.time, full.verb, full.username, full.user_groups, full.response_code)
    after = populated.search(q, page_size=4, cursor=bare.next_cursor, columns_only=True)
    assert after.records and all(r.raw == {} for r in after.records)
    assert {r.id for r in after.records}.isdisjoint(r.id for r in bare.records)


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


def test_it_reads_only_the_asked_clusters_and_days_whatever_their_names(store):
    # Search engines read the indices of the query's clusters and days: a cluster whose name
    # extends another's, or needs escaping in an index name, must neither leak nor go missing.
    clusters = ("prod", "prod-eu", "Prod EU/2", "x" * 120)
    for n, cluster in enumerate(clusters):
        _write(store, [audit_event(time=T0 + timedelta(days=day, hours=n), name=f"{cluster}-{day}")
                       for day in range(3)], cluster)
    for cluster in clusters:
        q = EventQuery(scope=ALL, clusters=(cluster,))
        assert {r.name for r in store.search(q, page_size=50).records} == {f"{cluster}-{d}" for d in range(3)}
        one_day = EventQuery(scope=ALL, clusters=(cluster,), start=T0 + timedelta(days=1), end=T0 + timedelta(days=2))
        assert [r.name for r in store.search(one_day).records] == [f"{cluster}-1"]
        assert store.count(one_day) == 1
        obj = ObjectRef(cluster=cluster, resource="pods", namespace="default", name=f"{cluster}-2")
        assert [r.cluster for r in store.history(EventQuery(scope=ALL), obj)] == [cluster]
    both = EventQuery(scope=ALL, clusters=("prod", "Prod EU/2"), start=T0, end=T0 + timedelta(days=40))
    assert store.count(both) == 6
    # Days without any index are no error.
    assert store.count(EventQuery(scope=ALL, clusters=("prod",), start=T0 - timedelta(days=9), end=T0)) == 0


def test_it_reads_newest_first_back_from_an_anchor_step_by_step(store):
    from itertools import islice

    from auditui.events.store import StoreError

    ages = [timedelta(hours=-2), timedelta(hours=2), timedelta(hours=5), timedelta(days=3), timedelta(days=3, hours=1),
            timedelta(days=20), timedelta(days=60), timedelta(days=400)]  # one is ahead of the anchor
    anchor = T0 + timedelta(days=500)
    _write(store, [audit_event(time=anchor - age, name=f"e{n}") for n, age in enumerate(ages)])
    everything = list(store.newest_first(EventQuery(scope=ALL), anchor=anchor, page_size=2))
    assert [r.name for r in everything] == [f"e{n}" for n in range(len(ages))]
    assert [r.name for r in islice(store.newest_first(EventQuery(scope=ALL), anchor=anchor, page_size=1), 3)] == [
        "e0", "e1", "e2"]
    # An end before the anchor, and filters, are kept; the steps before the end are simply empty.
    until = EventQuery(scope=ALL, end=anchor - timedelta(days=10), filters={"name": "e6"})
    assert [r.name for r in store.newest_first(until, anchor=anchor)] == ["e6"]
    with pytest.raises(StoreError, match="start"):
        next(store.newest_first(EventQuery(scope=ALL, start=T0), anchor=anchor))


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


def test_it_counts_duplicates_within_one_batch(store):
    event = audit_event()
    result = _write(store, [event, audit_event(), event, event])
    assert (result.ingested, result.duplicates) == (2, 2)
    assert store.count(EventQuery(scope=ALL)) == 2


def test_it_purges_across_days_exactly(store):
    events = [audit_event(time=T0 + timedelta(hours=h), name=f"p{h}") for h in range(0, 72, 5)]
    _write(store, events, "c1")
    _write(store, events[::2], "c2")
    cutoff = T0 + timedelta(days=1, hours=7)
    expected = sum(1 for e in events if e["requestReceivedTimestamp"] < cutoff.isoformat())
    expected += sum(1 for e in events[::2] if e["requestReceivedTimestamp"] < cutoff.isoformat())
    total = store.count(EventQuery(scope=ALL))
    assert store.purge(before=cutoff) == expected
    assert store.count(EventQuery(scope=ALL)) == total - expected
    assert store.count(EventQuery(scope=ALL, end=cutoff)) == 0
    assert store.purge(before=cutoff) == 0


def test_it_orders_events_of_the_same_time_by_when_they_were_stored(store):
    def np_event(stage, audit_id):
        return audit_event(verb="patch", resource="networkpolicies", api_group="networking.k8s.io",
                           namespace="payments", name="deny-all", time=T0, stage=stage, audit_id=audit_id)

    _write(store, [np_event("ResponseStarted", "a2"), np_event("ResponseComplete", "a1")])
    _write(store, [np_event("ResponseComplete", "a0")])
    obj = ObjectRef(cluster="c1", resource="networkpolicies", namespace="payments", name="deny-all")
    assert [r.audit_id for r in store.history(EventQuery(scope=ALL), obj)] == ["a2", "a1", "a0"]
    assert [r.audit_id for r in store.search(EventQuery(scope=ALL)).records] == ["a0", "a1", "a2"]


def test_it_lists_object_activity_newest_first(store):
    from tests.factories import audit_event as ev

    def np(name, minute, ns="payments", verb="patch"):
        return ev(verb=verb, resource="networkpolicies", api_group="networking.k8s.io", namespace=ns, name=name,
                  time=T0 + timedelta(minutes=minute))

    _write(store, [np("a", 1), np("a", 5), np("b", 3), np("c", 2, ns="frontend"), np("", 9, verb="list"),
                   ev(resource="pods", name="web", time=T0 + timedelta(minutes=8))])
    kinds = [("networking.k8s.io", "networkpolicies")]
    found = store.object_activity(EventQuery(scope=ALL), kinds=kinds)
    assert [(a.ref.name, a.ref.namespace, a.count, a.last.time) for a in found] == [
        ("a", "payments", 2, T0 + timedelta(minutes=5)), ("b", "payments", 1, T0 + timedelta(minutes=3)),
        ("c", "frontend", 1, T0 + timedelta(minutes=2))]
    assert found[0].ref.api_group == "networking.k8s.io"
    payments = ViewerScope(grants=(Grant(clusters=("*",), namespaces=("payments",)),))
    assert [a.ref.name for a in store.object_activity(EventQuery(scope=payments), kinds=kinds, limit=1)] == ["a"]
    assert store.object_activity(EventQuery(scope=ALL), kinds=[]) == []


def test_the_events_api_and_pages_work_on_every_backend(store, admin, client):
    from django.utils import timezone
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    now = timezone.now()
    _write(store, [audit_event(time=now - timedelta(minutes=m), verb="delete" if m % 3 == 0 else "get",
                               namespace="payments" if m % 2 else "frontend") for m in range(1, 26)])
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=admin).key}")
    seen, url = [], "/api/v1/events?page_size=10&query=verb%3Dget"
    while url:
        body = api.get(url).json()
        assert body["count"] == 17
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
    assert len(seen) == len(set(seen)) == 17
    histogram = api.get("/api/v1/events/histogram?start=now-1h&interval=10m").json()
    assert histogram["total"] == 25
    top = api.get("/api/v1/events/fields/objectRef.namespace/top").json()
    assert {v["value"]: v["count"] for v in top["values"]} == {"payments": 13, "frontend": 12}
    client.force_login(admin)
    page = client.get("/events/?query=verb%3Ddelete&start=now-1h")
    assert page.status_code == 200
    assert client.get(f"/events/{seen[0]}/").status_code == 200
    assert client.get("/").status_code == 200


def test_it_counts_each_clusters_events_for_the_overview(store):
    _write(store, [audit_event(time=T0 + timedelta(days=d)) for d in range(3)], "c1")
    _write(store, [audit_event(time=T0 + timedelta(days=d), namespace="payments") for d in (0, 40)], "Prod EU/2")
    assert store.cluster_totals(ALL) == {"c1": 3, "Prod EU/2": 2}
    payments = ViewerScope(grants=(Grant(clusters=("*",), namespaces=("payments",)),))
    assert store.cluster_totals(payments) == {"Prod EU/2": 2}
    store.purge(before=T0 + timedelta(days=1))
    assert store.cluster_totals(ALL) == {"c1": 2, "Prod EU/2": 1}


def _refused(store, index: int):
    """A record this store refuses: bypassing ingest's sanitising, a value no column takes."""
    record = normalize_event(audit_event(time=T0 + timedelta(seconds=index)), cluster="c1")
    if store.__class__.__name__ == "SqlEventStore":
        record.namespace = "bad\ud800"  # not UTF-8: SQLite and PostgreSQL refuse it
    else:
        record.response_code = "not a number"  # the index mapping (long) refuses it
    return record


def test_it_rejects_alone_each_record_the_store_refuses_and_stores_the_rest(store):
    # Issue 12: one refused record failed its whole batch (2 good + 1 bad stored 0).
    records = [normalize_event(audit_event(time=T0 + timedelta(seconds=n)), cluster="c1") for n in range(10)]
    records[3], records[7] = _refused(store, 3), _refused(store, 7)
    result = store.write(records)
    assert (result.ingested, result.duplicates) == (8, 0)
    assert [index for index, _reason in result.rejected] == [3, 7]
    assert all("refused it" in reason for _index, reason in result.rejected)
    assert store.count(EventQuery(scope=ALL)) == 8
    assert store.write(records[:3]).duplicates == 3  # nothing was rolled back around them


def test_it_makes_what_it_wrote_searchable_on_request(store):
    result = _write(store, [audit_event(time=T0)])
    store.make_searchable(result.written)
    assert store.count(EventQuery(scope=ALL)) == 1


# --- search engines only ------------------------------------------------------------------

def test_it_rejects_alone_a_record_the_engine_refuses(engine_store):
    # Issue 12: a refused item used to fail the whole write (and the webhook with it).
    good = audit_event()
    bad = normalize_event(audit_event(), cluster="c1")
    bad.response_code = "not a number"  # the index mapping (long) refuses it
    result = engine_store.write([normalize_event(good, cluster="c1"), bad])
    assert (result.ingested, result.duplicates) == (1, 0)
    ((index, reason),) = result.rejected
    assert index == 1 and "the search engine refused it: mapper_parsing_exception" in reason
    assert _write(engine_store, [good]).duplicates == 1


def test_it_gets_an_event_by_the_id_its_records_carry_or_by_a_bare_document_id(engine_store):
    _write(engine_store, [audit_event(time=T0 + timedelta(hours=5), name="web")])
    (record,) = engine_store.search(EventQuery(scope=ALL)).records
    day, doc_id = record.id.split("-")
    assert day == "20261101"
    assert engine_store.get(ALL, record.id).name == "web"
    assert engine_store.get(ALL, doc_id).name == "web"  # links made before ids carried the day
    assert engine_store.get(ALL, f"20200101-{doc_id}").name == "web"  # a wrong day still finds it
    assert engine_store.get(ViewerScope(grants=(Grant(clusters=("other",), namespaces=("*",)),)), record.id) is None
    assert engine_store.get(ALL, f"{day}-{'0' * 32}") is None
    assert engine_store.get(ALL, "20261101-nonsense") is None


def test_it_lets_go_of_a_snapshot_when_a_newest_first_reader_stops(engine_store, opensearch_url):
    import json
    import urllib.request

    def open_pits() -> int:
        with urllib.request.urlopen(f"{opensearch_url}/_search/point_in_time/_all") as response:
            return len(json.load(response).get("pits", []))

    _write(engine_store, [audit_event(time=T0 + timedelta(minutes=n)) for n in range(6)])
    before = open_pits()
    reader = engine_store.newest_first(EventQuery(scope=ALL), anchor=T0 + timedelta(hours=1), page_size=2)
    assert len([next(reader) for _ in range(3)]) == 3  # the second page reads from a snapshot
    assert open_pits() == before + 1
    reader.close()
    assert open_pits() == before


def test_it_says_what_to_do_when_the_engine_is_out_of_shards(engine_store, opensearch_url):
    import json
    import urllib.request

    from auditui.events.store.search_engine import SearchEngineError

    def put_limit(value):
        body = json.dumps({"transient": {"cluster.max_shards_per_node": value}}).encode()
        request = urllib.request.Request(f"{opensearch_url}/_cluster/settings", data=body, method="PUT",
                                         headers={"Content-Type": "application/json"})
        urllib.request.urlopen(request).close()

    _write(engine_store, [audit_event(time=T0)])
    with urllib.request.urlopen(f"{opensearch_url}/_cat/shards?format=json") as response:
        open_shards = len(json.load(response))
    put_limit(open_shards)  # a new day's index would need one more
    try:
        with pytest.raises(SearchEngineError, match="maximum shards open.*raise cluster.max_shards_per_node"):
            _write(engine_store, [audit_event(time=T0 + timedelta(days=1))])
        assert _write(engine_store, [audit_event(time=T0 + timedelta(minutes=1))]).ingested == 1  # existing day
    finally:
        put_limit(None)
    assert _write(engine_store, [audit_event(time=T0 + timedelta(days=1))]).ingested == 1


def test_it_pages_on_when_the_point_in_time_is_gone(engine_store):
    from auditui.events.store.engine_cursor import decode_cursor

    _write(engine_store, [audit_event(time=T0 + timedelta(seconds=s)) for s in range(12)])
    q = EventQuery(scope=ALL)
    first = engine_store.search(q, page_size=5)
    assert decode_cursor(first.next_cursor)[1] is None  # no snapshot for a first page
    second = engine_store.search(q, page_size=5, cursor=first.next_cursor)
    pit = decode_cursor(second.next_cursor)[1]
    assert pit  # someone is paging: from the second page on, one snapshot
    _write(engine_store, [audit_event(time=T0 - timedelta(days=1))])  # not in the snapshot
    engine_store.transport.close_pit(pit)  # as if it had expired
    third = engine_store.search(q, page_size=5, cursor=second.next_cursor)
    assert [len(p.records) for p in (first, second, third)] == [5, 5, 3]
    assert third.next_cursor is None
    assert len({r.id for p in (first, second, third) for r in p.records}) == 13


def test_it_stops_opening_snapshots_whose_id_cannot_go_in_a_cursor(engine_store, monkeypatch):
    from auditui.events.store import search_engine

    _write(engine_store, [audit_event(time=T0 + timedelta(seconds=s)) for s in range(12)])
    monkeypatch.setattr(search_engine, "MAX_PIT_ID", 10)  # as an id over many shards is
    opened = []
    open_pit = engine_store.transport.open_pit
    monkeypatch.setattr(engine_store.transport, "open_pit", lambda target: opened.append(target) or open_pit(target))
    q = EventQuery(scope=ALL)
    for _ in range(2):
        first = engine_store.search(q, page_size=5)
        second = engine_store.search(q, page_size=5, cursor=first.next_cursor)
        assert len(first.records) == len(second.records) == 5
        assert {r.id for r in first.records}.isdisjoint(r.id for r in second.records)
    assert len(opened) == 1  # opened, found too long and closed once; not again for the same indices


def test_it_counts_clusters_by_searching_until_it_knows_their_names(engine_store):
    from auditui.events.store import object_days

    _write(engine_store, [audit_event(time=T0)], "c1")
    engine_store.transport.delete_index(object_days.index_name(engine_store.prefix))  # as a store of an earlier auditui
    engine_store.object_days = object_days.ObjectDays(engine_store.transport, engine_store.layout,
                                                          replicas=engine_store.config.replicas)
    assert engine_store.object_days.clusters() is None
    assert engine_store.cluster_totals(ALL) == {"c1": 1}


def test_it_reads_from_a_time_on_in_the_days_that_exist_from_then_on(engine_store):
    _write(engine_store, [audit_event(time=T0 + timedelta(days=d), name=f"e{d}") for d in (0, 1, 2, 400)], "c1")
    since = EventQuery(scope=ALL, start=T0 + timedelta(days=1))
    days = {pattern.rsplit("-", 1)[1].rstrip("*") for pattern in engine_store.read_target(since).split(",")}
    assert days == {"2026.11.02", "2026.11.03", "2027.12.06"}  # later days included, however far
    assert [r.name for r in engine_store.search(since).records] == ["e400", "e2", "e1"]
    _write(engine_store, [audit_event(time=T0 + timedelta(days=5), name="e5")], "c2")  # a new index: read at once
    assert [r.name for r in engine_store.search(since).records] == ["e400", "e5", "e2", "e1"]
    assert engine_store.count(EventQuery(scope=ALL, start=T0 + timedelta(days=3), clusters=("c2",))) == 1
    assert engine_store.count(EventQuery(scope=ALL, start=T0 + timedelta(days=500))) == 0


def test_an_installation_whose_prefix_extends_anothers_is_told_to_choose_another(engine_store):
    from auditui.events.store import StoreUnavailable

    _write(engine_store, [audit_event(time=T0)])
    nested = type(engine_store)(engine_store.config, prefix=f"{engine_store.prefix}-staging", refresh="true")
    with pytest.raises(StoreUnavailable, match="give each auditui installation an AUDITUI_INDEX_PREFIX"):
        _write(nested, [audit_event(time=T0, name="other")])
    assert engine_store.count(EventQuery(scope=ALL)) == 1

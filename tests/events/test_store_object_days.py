"""The object-days index beside a search engine's daily indices (auditui/events/store/object_days.py):
reads of one object over a long range ask only the days it has events on, and stay exact while
the index is incomplete (a store written before it existed), after purges, and with other writers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from auditui.access.scope import ViewerScope
from auditui.events.normalize import normalize_event
from auditui.events.store import EventQuery, ObjectRef
from auditui.events.store import object_days as od
from auditui.events.store.layout import Layout
from tests.factories import audit_event

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 1, 1, tzinfo=UTC)
ALL = ViewerScope.all()
POLICY = {"resource": "networkpolicies", "api_group": "networking.k8s.io", "namespace": "payments"}
DENY_ALL = ObjectRef(cluster="c1", name="deny-all", **POLICY)
# deny-all changes on three days spread over a year; other objects have events on other days.
DENY_ALL_DAYS = (0, 40, 300)


def _policy_event(day: int, name: str = "deny-all", verb: str = "patch", **extra):
    return audit_event(verb=verb, name=name, time=T0 + timedelta(days=day, hours=3), **POLICY, **extra)


def _write(store, events, cluster: str = "c1"):
    return store.write([normalize_event(e, cluster=cluster) for e in events])


@pytest.fixture
def year(engine_store):
    """deny-all on three days of a year; another policy and pods on twelve other days."""
    events = [_policy_event(day) for day in DENY_ALL_DAYS]
    events += [_policy_event(day, name="allow-dns") for day in range(5, 365, 30)]
    events += [audit_event(name="web-1", time=T0 + timedelta(days=day)) for day in range(5, 365, 30)]
    _write(engine_store, events)
    _write(engine_store, [_policy_event(40)], cluster="c2")  # same object name, another cluster
    return engine_store


def _index_days(target: str) -> set[str]:
    return {pattern.rsplit("-", 1)[1].rstrip("*") for pattern in target.split(",")}


def test_it_reads_one_objects_whole_history_from_its_days_only(year):
    assert _index_days(year.read_target(EventQuery(scope=ALL), obj=DENY_ALL)) == {
        "2026.01.01", "2026.02.10", "2026.10.28"}
    history = year.history(EventQuery(scope=ALL), DENY_ALL)
    assert [r.time.date() for r in history] == [(T0 + timedelta(days=d)).date() for d in DENY_ALL_DAYS]
    assert {r.cluster for r in history} == {"c1"}
    # A read by filters (the changelog's base version, newest first) narrows the same way.
    by_filters = EventQuery(scope=ALL, clusters=("c1",), end=T0 + timedelta(days=200),
                            filters={"name": "deny-all", **POLICY})
    assert _index_days(year.read_target(by_filters)) == {"2026.01.01", "2026.02.10"}
    assert [r.time.day for r in year.newest_first(by_filters, anchor=T0 + timedelta(days=200))] == [10, 1]


def test_it_reads_a_history_whose_days_do_not_fit_in_one_request_a_request_at_a_time(year, monkeypatch):
    from auditui.events.store import search_engine

    _write(year, [_policy_event(day, verb="update") for day in (41, 42, 43, 299)])
    monkeypatch.setattr(search_engine, "MAX_TARGET_CHARS", 120)  # two or three days a request
    searched = []
    search = year.transport.search
    monkeypatch.setattr(year.transport, "search", lambda target, body: searched.append(target) or search(target, body))
    history = year.history(EventQuery(scope=ALL), DENY_ALL)
    assert [r.time.date() for r in history] == sorted(r.time.date() for r in history)
    assert [(T0.date() + timedelta(days=d)) for d in (0, 40, 41, 42, 43, 299, 300)] == [r.time.date() for r in history]
    assert len([t for t in searched if t.startswith(f"{year.prefix}-")]) >= 3
    assert all(len(t) <= 120 for t in searched if t.startswith(f"{year.prefix}-"))


def test_it_keeps_the_wider_target_for_reads_that_name_no_single_object(year):
    no_name = EventQuery(scope=ALL, clusters=("c1",), filters={"resource": "networkpolicies"})
    assert year.read_target(no_name) == f"{year.prefix}-c1-*"
    two_clusters = EventQuery(scope=ALL, clusters=("c1", "c2"), filters={"name": "deny-all", **POLICY})
    assert year.count(two_clusters) == 4
    # A short range already names its days: no lookup needed.
    two_days = EventQuery(scope=ALL, clusters=("c1",), start=T0, end=T0 + timedelta(days=2),
                          filters={"name": "deny-all", **POLICY})
    assert year.read_target(two_days) == f"{year.prefix}-c1-2026.01.01*,{year.prefix}-c1-2026.01.02*"


def test_it_reads_nothing_for_an_object_without_events(year):
    ghost = ObjectRef(cluster="c1", name="never-there", **POLICY)
    assert year.history(EventQuery(scope=ALL), ghost) == []
    assert year.read_target(EventQuery(scope=ALL), obj=ghost) == f"{year.prefix}-c1-1970.01.01*"


def test_it_sees_a_new_day_as_soon_as_this_process_writes_it(year):
    assert len(year.history(EventQuery(scope=ALL), DENY_ALL)) == 3  # the days are now remembered
    _write(year, [_policy_event(200, verb="update")])
    assert [r.verb for r in year.history(EventQuery(scope=ALL), DENY_ALL)] == ["patch", "patch", "update", "patch"]


def test_it_asks_every_index_until_an_older_store_is_indexed_then_only_the_objects_days(year, capsys):
    from django.core.management import call_command

    # A store written before the index existed: events, and no object-days index at all.
    year.transport.delete_index(od.index_name(year.prefix))
    year.object_days = od.ObjectDays(year.transport, year.layout, replicas=year.config.replicas)
    assert year.read_target(EventQuery(scope=ALL), obj=DENY_ALL) == f"{year.prefix}-c1-*"
    assert len(year.history(EventQuery(scope=ALL), DENY_ALL)) == 3
    # Writes go on adding their own days meanwhile; they do not make the index complete.
    _write(year, [_policy_event(41)])
    assert year.read_target(EventQuery(scope=ALL), obj=DENY_ALL) == f"{year.prefix}-c1-*"

    _write(year, [_policy_event(60, name=None, verb=verb) for verb in ("list", "watch")])
    call_command("index_objects")
    # deny-all on 4 days, allow-dns and web-1 on 12 each, a list and a watch in c1; deny-all on 1 in c2
    assert "indexed 31 object-days" in capsys.readouterr().out
    assert _index_days(year.read_target(EventQuery(scope=ALL), obj=DENY_ALL)) == {
        "2026.01.01", "2026.02.10", "2026.02.11", "2026.10.28"}
    assert len(year.history(EventQuery(scope=ALL), DENY_ALL)) == 4
    watches = EventQuery(scope=ALL, clusters=("c1",), filters={**POLICY, "name": "", "verb": "watch"})
    assert _index_days(year.read_target(watches)) == {"2026.03.02"}
    c2 = ObjectRef(cluster="c2", name="deny-all", **POLICY)
    assert [r.cluster for r in year.history(EventQuery(scope=ALL), c2)] == ["c2"]
    call_command("index_objects")
    assert "nothing to do" in capsys.readouterr().out
    # Another process finds the marker the backfill left.
    assert od.ObjectDays(year.transport, year.layout, replicas=year.config.replicas).ready()


def test_it_reports_how_far_indexing_an_older_store_got(year):
    year.transport.delete_index(od.index_name(year.prefix))
    year.object_days = od.ObjectDays(year.transport, year.layout, replicas=year.config.replicas)
    seen: list[int] = []
    written = year.index_objects(progress=seen.append)
    assert written == 28 and seen == sorted(seen) and seen[-1] == written  # 3 + 12 + 12 in c1, 1 in c2


def test_it_forgets_the_days_a_purge_removes(year):
    year.purge(before=T0 + timedelta(days=100))
    assert _index_days(year.read_target(EventQuery(scope=ALL), obj=DENY_ALL)) == {"2026.10.28"}
    assert [r.time.month for r in year.history(EventQuery(scope=ALL), DENY_ALL)] == [10]


def test_it_counts_events_not_index_entries_when_another_writer_sent_them_first(year):
    other = type(year)(year.config, prefix=year.prefix, refresh="true")  # another process
    events = [_policy_event(7, name="fresh"), _policy_event(8, name="fresh")]
    assert _write(other, events).ingested == 2
    result = _write(year, events)
    assert (result.ingested, result.duplicates) == (0, 2)
    assert len(year.history(EventQuery(scope=ALL), ObjectRef(cluster="c1", name="fresh", **POLICY))) == 2


def test_it_finds_events_without_a_name_by_kind_namespace_and_verb(year):
    # Controllers list a kind every day; a collection delete is rare: its days are kept apart.
    _write(year, [_policy_event(day, name=None, verb="list") for day in (149, 151)])
    _write(year, [_policy_event(150, name=None, verb="deletecollection")])
    deletes = EventQuery(scope=ALL, clusters=("c1",), filters={**POLICY, "name": "", "verb": "deletecollection"})
    assert _index_days(year.read_target(deletes)) == {"2026.05.31"}
    assert [r.verb for r in year.search(deletes).records] == ["deletecollection"]
    nameless = EventQuery(scope=ALL, clusters=("c1",), filters={**POLICY, "name": ""})
    assert _index_days(year.read_target(nameless)) == {"2026.05.30", "2026.05.31", "2026.06.01"}
    assert [r.verb for r in year.search(nameless).records] == ["list", "deletecollection", "list"]
    # A verb narrows only events without a name (a named object's days are kept for all verbs).
    named = EventQuery(scope=ALL, clusters=("c1",), filters={"name": "deny-all", "verb": "patch", **POLICY})
    assert year.count(named) == 3


# --- without a node ----------------------------------------------------------------------

def test_targets_name_days_then_months_then_give_up():
    days = [date(2026, 1, 1), date(2026, 1, 2), date(2026, 3, 5)]
    assert od.target(Layout("p"), "c", days, 2000) == "p-c-2026.01.01*,p-c-2026.01.02*,p-c-2026.03.05*"
    assert od.target(Layout("p"), "c", days, 30) == "p-c-2026.01*,p-c-2026.03*"
    assert od.target(Layout("p"), "c", days, 10) is None
    every_day = [date(2025, 1, 1) + timedelta(days=n) for n in range(365)]
    assert od.target(Layout("auditui-events"), "prod", every_day, 2000).count(",") == 11  # twelve months


def test_chunks_pack_days_in_order_within_the_limit():
    days = [date(2026, 1, d) for d in range(1, 8)]
    packed = od.chunks(Layout("p"), "c", days, 40)
    assert ",".join(packed) == ",".join(f"p-c-2026.01.0{d}*" for d in range(1, 8))
    assert all(len(chunk) <= 40 for chunk in packed) and len(packed) == 4
    assert od.chunks(Layout("p"), "c", [], 40) == []


def test_a_read_names_one_object_with_a_cluster_a_resource_and_a_name():
    assert od.pinned_key("c1", {"resource": "pods", "name": "web"}) == {"cluster": "c1", "resource": "pods",
                                                                       "name": "web"}
    assert od.pinned_key(None, {"cluster": "c2", "resource": "pods", "name": ""})["cluster"] == "c2"
    assert od.pinned_key(None, {"resource": "pods", "name": "web"}) is None
    assert od.pinned_key("c1", {"resource": "pods"}) is None


def test_the_writer_sends_each_objects_day_once_until_told_to_forget():
    writer = od.Writer("p")
    records = [normalize_event(audit_event(name="web", time=T0 + timedelta(hours=h)), cluster="c1") for h in (1, 2, 30)]
    records.append(normalize_event({**audit_event(), "objectRef": None, "requestURI": "/healthz"}, cluster="c1"))
    assert len(writer.lines(records)) == 4  # two days of one object, an action and a document each
    assert writer.lines(records) == []
    writer.forget()
    assert len(writer.lines(records[:1])) == 2


def test_it_reads_the_collection_deletes_of_every_cluster_from_their_days_only(year):
    deletes = [audit_event(verb="deletecollection", name=None, time=T0 + timedelta(days=day), **POLICY)
               for day in (7, 90)]
    _write(year, deletes[:1])
    _write(year, deletes[1:], cluster="c2")
    q = EventQuery(scope=ALL, filters={"name": "", "verb": "deletecollection"})
    assert year.read_target(q) == f"{year.prefix}-c1-2026.01.08*,{year.prefix}-c2-2026.04.01*"
    assert sorted(r.cluster for r in year.search(q).records) == ["c1", "c2"]
    since = EventQuery(scope=ALL, start=T0 + timedelta(days=30), filters={"name": "", "verb": "deletecollection"})
    assert year.read_target(since) == f"{year.prefix}-c2-2026.04.01*"
    none_yet = EventQuery(scope=ALL, filters={"name": "", "verb": "deletecollection", "resource": "pods"})
    assert year.search(none_yet).records == []

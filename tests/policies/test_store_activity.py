"""``EventStore.object_activity``, the store read behind the policy lists (the backend-neutral
cases are in tests/events/test_store.py; these pin the details the lists rely on)."""

from __future__ import annotations

from datetime import timedelta

from auditui.events.query.nodes import Compare
from auditui.events.store import EventQuery
from tests.factories import BASE_TIME, audit_event

KINDS = [("networking.k8s.io", "networkpolicies"), ("projectcalico.org", "networkpolicies")]


def _np(name, minute, group="networking.k8s.io", **kw):
    return audit_event(verb="patch", resource="networkpolicies", api_group=group, name=name,
                       time=BASE_TIME + timedelta(minutes=minute), **kw)


def test_it_keeps_objects_of_the_same_name_in_different_groups_apart(store, ingest, everything):
    ingest([_np("a", 1), _np("a", 2, group="projectcalico.org"), _np("a", 3, group="projectcalico.org")])
    found = store.object_activity(EventQuery(scope=everything), kinds=KINDS)
    assert [(a.ref.api_group, a.count) for a in found] == [("projectcalico.org", 2), ("networking.k8s.io", 1)]


def test_it_counts_and_picks_the_newest_among_matching_events_only(store, ingest, everything):
    ingest([_np("a", 1, username="x"), _np("a", 2, username="y", code=403), _np("a", 0, username="z")])
    q = EventQuery(scope=everything, query=Compare("responseStatus.code", "<", "400"))
    (only,) = store.object_activity(q, kinds=KINDS)
    assert (only.count, only.last.username) == (2, "x")


def test_it_breaks_a_tie_in_time_by_the_event_stored_last(store, ingest, everything):
    ingest([_np("a", 5, username="first")])
    ingest([_np("a", 5, username="second")])
    (only,) = store.object_activity(EventQuery(scope=everything), kinds=KINDS)
    assert only.last.username == "second" and only.count == 2


def test_it_respects_the_window_and_the_limit(store, ingest, everything):
    ingest([_np("a", 1), _np("b", 10), _np("c", 20)])
    q = EventQuery(scope=everything, start=BASE_TIME + timedelta(minutes=5))
    assert [a.ref.name for a in store.object_activity(q, kinds=KINDS)] == ["c", "b"]
    assert [a.ref.name for a in store.object_activity(q, kinds=KINDS, limit=1)] == ["c"]

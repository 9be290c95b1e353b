"""The per-object summary (``EventStore.object_summaries``), the same on every backend: kept at
write time whatever the order of arrival and however often an event is sent, exact under
retention, rebuilt from the events, scoped to the viewer; and the policy list answered from it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from auditui.access.scope import Grant, ViewerScope
from auditui.events.normalize import normalize_event
from tests.factories import audit_event

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 11, 1, tzinfo=UTC)
ALL = ViewerScope.all()
NP = ("networking.k8s.io", "networkpolicies")
GNP = ("projectcalico.org", "globalnetworkpolicies")
KINDS = [NP, GNP]


@pytest.fixture
def store(backend_store):
    backend_store.index_objects()  # a store without events: every followed kind covered
    return backend_store


def np_event(name: str, minute: int, verb: str = "patch", *, ns: str = "payments", user: str = "alice",
             **extra) -> dict:
    return audit_event(verb=verb, resource="networkpolicies", api_group="networking.k8s.io", namespace=ns,
                       name=name, username=user, time=T0 + timedelta(minutes=minute), **extra)


def gnp_event(name: str, minute: int, verb: str, tier: str | None) -> dict:
    body = {"kind": "GlobalNetworkPolicy", "metadata": {"name": name}, "spec": {"order": 1}}
    if tier:
        body["spec"]["tier"] = tier
    return audit_event(verb=verb, resource="globalnetworkpolicies", api_group="projectcalico.org", namespace=None,
                       name=name, time=T0 + timedelta(minutes=minute), level="Request", requestObject=body)


def write(store, events, cluster: str = "c1"):
    return store.write([normalize_event(e, cluster=cluster) for e in events])


def summaries(store, scope: ViewerScope = ALL, **kw) -> dict:
    found = store.object_summaries(scope, kinds=KINDS, **kw)
    assert found is not None, "the store keeps the summary of the followed kinds"
    return {(s.cluster, s.namespace, s.name): s for s in found}


def test_it_keeps_first_last_count_and_deletion_of_each_followed_object(store):
    status = np_event("web", 6, "update")
    status["objectRef"]["subresource"] = "status"
    write(store, [np_event("web", 1, "create"), np_event("web", 2, user="bob"), np_event("web", 3, "update", code=403),
                  np_event("web", 4, "get"), np_event("web", 5, stage="ResponseStarted"), status,
                  audit_event(verb="create", resource="pods", name="p", time=T0)])
    (web,) = summaries(store).values()
    assert (web.first_seen, web.last_seen, web.changes) == (T0 + timedelta(minutes=1), T0 + timedelta(minutes=2), 2)
    assert (web.last_verb, web.last_user, web.deleted) == ("patch", "bob", False)
    write(store, [np_event("web", 9, "delete", user="carol")])
    web = summaries(store)[("c1", "payments", "web")]
    assert (web.changes, web.last_verb, web.last_user, web.deleted) == (3, "delete", "carol", True)


def test_it_follows_the_newest_event_time_not_the_order_of_arrival(store):
    write(store, [np_event("web", 50, "delete", user="late")])
    write(store, [np_event("web", 10, "create"), np_event("web", 20, user="middle")])
    web = summaries(store)[("c1", "payments", "web")]
    assert (web.first_seen, web.last_seen) == (T0 + timedelta(minutes=10), T0 + timedelta(minutes=50))
    assert (web.changes, web.last_user, web.deleted) == (3, "late", True)


def test_it_counts_an_event_sent_again_once(store):
    first = [np_event("web", 1, "create"), np_event("web", 2)]
    write(store, first)
    result = write(store, [*first, np_event("web", 3, user="bob")])  # two duplicates and one new
    assert (result.ingested, result.duplicates) == (1, 2)
    write(store, first)
    web = summaries(store)[("c1", "payments", "web")]
    assert (web.changes, web.last_user, web.last_seen) == (3, "bob", T0 + timedelta(minutes=3))


def test_it_keeps_the_tier_its_last_change_recorded(store):
    write(store, [gnp_event("security.deny", 1, "create", "security"), gnp_event("lone", 2, "create", None)])
    found = summaries(store)
    assert found[("c1", "", "security.deny")].last_tier == "security"
    assert found[("c1", "", "lone")].last_tier == ""


def test_it_stays_exact_under_retention(store):
    write(store, [np_event("old", 1, "create"), np_event("web", 2, "create"), np_event("web", 200),
                  np_event("web", 300, user="bob")])
    store.purge(before=T0 + timedelta(minutes=100))
    found = summaries(store)
    assert ("c1", "payments", "old") not in found
    web = found[("c1", "payments", "web")]
    assert (web.first_seen, web.changes, web.last_user) == (T0 + timedelta(minutes=200), 2, "bob")


def test_it_rebuilds_from_the_events(store):
    write(store, [np_event("web", 1, "create"), np_event("web", 2, user="bob"), np_event("db", 3, "create", ns="data")])
    write(store, [gnp_event("security.deny", 4, "create", "security")], cluster="c2")
    before = summaries(store)
    store.index_objects(rebuild=True)
    after = summaries(store)
    assert after == before
    assert after[("c1", "payments", "web")].changes == 2


def test_it_shows_a_viewer_only_the_objects_in_their_scope(store):
    write(store, [np_event("web", 1, "create"), np_event("db", 2, "create", ns="data"),
                  gnp_event("security.deny", 3, "create", "security")])
    payments = ViewerScope(grants=(Grant(clusters=("c1",), namespaces=("payments",)),))
    assert list(summaries(store, payments)) == [("c1", "payments", "web")]
    assert summaries(store, ViewerScope(grants=())) == {}
    assert list(summaries(store, namespace="data")) == [("c1", "data", "db")]
    assert list(summaries(store, clusters=("c2",))) == []


def test_it_lists_newest_last_change_first_with_a_limit(store):
    write(store, [np_event("a", 1, "create"), np_event("b", 5, "create"), np_event("c", 3, "create")])
    found = store.object_summaries(ALL, kinds=KINDS, limit=2)
    assert [s.name for s in found] == ["b", "c"]


def test_the_policy_list_of_all_time_answers_as_the_events_do(store, monkeypatch):
    from auditui.policies.selectors import ListFilters, changed_policies

    write(store, [np_event("web", 1, "create"), np_event("web", 2, user="bob"), np_event("db", 3, "create", ns="data"),
                  np_event("gone", 4, "create"), np_event("gone", 5, "delete"),
                  gnp_event("security.deny", 6, "create", "security"), gnp_event("platform.x", 7, "create", None)])
    write(store, [np_event("web", 8, "create")], cluster="c2")
    cases = [ListFilters(), ListFilters(clusters=("c2",)), ListFilters(namespace="payments"), ListFilters(text="bob")]
    payments = ViewerScope(grants=(Grant(clusters=("*",), namespaces=("payments",)),))
    answers = [changed_policies(scope, start=None, end=None, filters=f) for scope in (ALL, payments) for f in cases]
    assert [r.name for r in answers[0].rows] == ["web", "platform.x", "security.deny", "gone", "db", "web"]
    monkeypatch.setattr(type(store), "object_summaries", lambda self, *a, **kw: None)  # the events' answer
    assert answers == [changed_policies(scope, start=None, end=None, filters=f)
                       for scope in (ALL, payments) for f in cases]


def _forget_summary(store) -> None:
    """The store as an earlier auditui left it: events, and no summary of their kinds."""
    if hasattr(store, "summary"):  # a search engine: no summary index
        store.transport.delete_index(store.summary.index)
        store.summary._covered = None
    else:
        from auditui.events.models import SummaryKind, SummaryRow
        from auditui.events.store import sql_summary

        SummaryRow.objects.all().delete()
        SummaryKind.objects.all().delete()
        sql_summary._covered.clear()


def test_it_reads_the_events_until_index_objects_built_the_summary(store, capsys):
    from django.core.management import call_command

    from auditui.policies.selectors import changed_policies

    write(store, [np_event("web", 1, "create"), np_event("web", 2, user="bob"), np_event("db", 3, "create", ns="data")])
    _forget_summary(store)
    assert store.object_summaries(ALL, kinds=KINDS) is None
    from_events = changed_policies(ALL, start=None, end=None)
    call_command("index_objects")
    assert "per-object summary entries" in capsys.readouterr().out
    web = summaries(store)[("c1", "payments", "web")]
    assert (web.changes, web.last_user, web.first_seen) == (2, "bob", T0 + timedelta(minutes=1))
    assert changed_policies(ALL, start=None, end=None) == from_events
    call_command("index_objects", "--rebuild")
    assert summaries(store)[("c1", "payments", "web")] == web


def test_it_needs_a_rebuild_for_a_kind_followed_again(store, settings):
    write(store, [np_event("web", 1, "create")])
    assert store.object_summaries(ALL, kinds=[NP]) is not None
    settings.AUDITUI_POLICY_KINDS = ["globalnetworkpolicies.projectcalico.org"]
    _expire_cover(store)
    assert store.object_summaries(ALL, kinds=[GNP]) is not None
    write(store, [np_event("web", 2, user="unseen")])  # not followed: the summary does not see it
    settings.AUDITUI_POLICY_KINDS = ["default"]
    _expire_cover(store)
    assert store.object_summaries(ALL, kinds=[NP]) is None  # read from the events until rebuilt
    store.index_objects()
    assert summaries(store)[("c1", "payments", "web")].last_user == "unseen"


def _expire_cover(store) -> None:
    """Let the store read which kinds it covers again at once (it does every half minute)."""
    if hasattr(store, "summary"):
        store.summary._covered = None
    else:
        from auditui.events.store import sql_summary

        sql_summary._covered.clear()

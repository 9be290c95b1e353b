"""Collection deletes (``kubectl delete networkpolicies --all``) in the policy lists and
changelogs: exact when the response lists the objects, inferred from which objects existed when
it does not and the request had no selector, never guessed with a selector."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from auditui.events.store import ObjectRef
from auditui.policies.selectors import ListFilters, changed_policies, policy_changelog
from tests.policies.stories import PolicyStory, delete_collection

SPEC = {"podSelector": {}, "policyTypes": ["Ingress"]}


def _story(name: str, namespace: str = "payments", minutes_ago: float = 120) -> PolicyStory:
    story = PolicyStory(name=name, namespace=namespace, start=timezone.now() - timedelta(minutes=minutes_ago))
    story.create(dict(SPEC))
    return story


def _ref(story: PolicyStory, cluster: str = "c1") -> ObjectRef:
    return ObjectRef(cluster, story.resource, story.name, story.namespace or "", story.group)


def _rows(scope, **filters):
    now = timezone.now()
    result = changed_policies(scope, start=now - timedelta(days=1), end=now, filters=ListFilters(**filters))
    return {(r.namespace, r.name): r for r in result.rows}


@pytest.fixture
def three(ingest):
    """allow-web and deny-all in payments, cart in checkout."""
    stories = {"web": _story("allow-web"), "deny": _story("deny-all"), "cart": _story("cart", "checkout")}
    for story in stories.values():
        ingest(story.events)
    return stories


@pytest.mark.parametrize("level", ["RequestResponse", "Metadata"])
def test_it_lists_the_policies_a_collection_delete_removed(three, ingest, everything, level):
    ingest([delete_collection([three["web"], three["deny"]], namespace="payments", level=level)])
    rows = _rows(everything)
    for name in ("allow-web", "deny-all"):
        row = rows[("payments", name)]
        assert (row.exists, row.changes, row.last_verb, row.last_user) == (False, 2, "deletecollection",
                                                                           "eve@example.com")
    assert rows[("checkout", "cart")].exists  # another namespace: untouched
    log = policy_changelog(everything, _ref(three["web"]))
    assert [c.verb for c in log.changes] == ["create", "deletecollection"]
    assert not log.exists and log.lives[0].deleted is log.changes[-1]
    assert "collection" in log.changes[-1].note


def test_it_trusts_the_response_over_what_existed(three, ingest, everything):
    # The response lists only allow-web (say a selector matched it): deny-all stays.
    ingest([delete_collection([three["web"]], namespace="payments", selector="app=web")])
    rows = _rows(everything)
    assert not rows[("payments", "allow-web")].exists and rows[("payments", "deny-all")].exists
    assert [c.verb for c in policy_changelog(everything, _ref(three["deny"])).changes] == ["create"]


def test_it_attributes_nothing_to_a_selector_it_cannot_evaluate(three, ingest, everything):
    ingest([delete_collection([three["web"]], namespace="payments", level="Metadata", selector="app=web")])
    rows = _rows(everything)
    assert rows[("payments", "allow-web")].exists and rows[("payments", "deny-all")].exists


def test_it_infers_only_objects_that_existed_then(three, ingest, everything):
    three["deny"].delete()  # deleted on its own before
    ingest(three["deny"].events[-1:])
    ingest([delete_collection([three["web"]], namespace="payments", level="Metadata", minutes=20)])
    later = PolicyStory(name="late", start=timezone.now() - timedelta(minutes=15))
    later.create(dict(SPEC))  # created after
    ingest(later.events)
    assert [c.verb for c in policy_changelog(everything, _ref(three["deny"])).changes] == ["create", "delete"]
    assert [c.verb for c in policy_changelog(everything, _ref(later)).changes] == ["create"]
    assert [c.verb for c in policy_changelog(everything, _ref(three["web"])).changes] == ["create",
                                                                                         "deletecollection"]
    rows = _rows(everything)
    assert rows[("payments", "deny-all")].last_verb == "delete" and rows[("payments", "late")].exists


def test_it_counts_a_delete_in_every_namespace_and_a_recreate_after_it(three, ingest, everything):
    ingest([delete_collection(list(three.values()), namespace=None, level="Metadata")])
    web = three["web"]
    web.create(dict(SPEC), minutes=5)
    ingest(web.events[-1:])
    rows = _rows(everything)
    assert not rows[("checkout", "cart")].exists and not rows[("payments", "deny-all")].exists
    assert rows[("payments", "allow-web")].exists and rows[("payments", "allow-web")].changes == 3
    log = policy_changelog(everything, _ref(web))
    assert [c.verb for c in log.changes] == ["create", "deletecollection", "create"] and len(log.lives) == 2
    # The namespace filter keeps a delete that named no namespace.
    assert set(_rows(everything, namespace="checkout")) == {("checkout", "cart")}


def test_it_reads_a_collection_delete_inside_a_window(three, ingest, everything):
    ingest([delete_collection([three["web"], three["deny"]], namespace="payments", level="Metadata")])
    start = timezone.now() - timedelta(minutes=105)  # after the creates (-110 min), before the delete (-100)
    log = policy_changelog(everything, _ref(three["web"]), start=start)
    assert [c.verb for c in log.changes] == ["deletecollection"] and log.base.verb == "create"


def test_it_shows_a_scoped_viewer_only_its_namespace(three, ingest, scoped_user, scope_of):
    ingest([delete_collection([three["web"], three["cart"]], namespace=None)])  # listed, across namespaces
    # The event names no namespace: it is cluster-wide, which a namespace grant does not cover.
    assert _rows(scope_of(scoped_user))[("payments", "allow-web")].exists
    ingest([delete_collection([three["deny"]], namespace="payments")])
    rows = _rows(scope_of(scoped_user))
    assert not rows[("payments", "deny-all")].exists and ("checkout", "cart") not in rows


def test_it_says_on_the_page_and_in_the_api_how_the_policy_went(three, ingest, client, admin):
    ingest([delete_collection([three["web"], three["deny"]], namespace="payments", level="Metadata")])
    client.force_login(admin)
    page = client.get("/policies/networkpolicies/payments/allow-web/").content.decode()
    assert "Deleted with the rest of its collection: it existed then, and the request had no selector." in page
    body = client.get("/api/v1/policies/networkpolicies/payments/allow-web/changelog").json()
    assert [(c["verb"], c["user"]) for c in body["changes"]] == [("create", "alice@example.com"),
                                                                 ("deletecollection", "eve@example.com")]


def test_it_infers_only_the_newest_collection_deletes_in_a_list(three, ingest, everything, monkeypatch):
    from auditui.policies import bulk_deletes

    monkeypatch.setattr(bulk_deletes, "MAX_INFERRED", 1)
    ingest([delete_collection([three["web"], three["deny"]], namespace="payments", level="Metadata")])
    ingest([delete_collection([three["cart"]], namespace="checkout", level="Metadata", minutes=20)])
    rows = _rows(everything)
    assert not rows[("checkout", "cart")].exists  # the newest
    assert rows[("payments", "allow-web")].exists  # older: not inferred in the list
    # The policy's own changelog still reads every collection delete that may have removed it.
    assert not policy_changelog(everything, _ref(three["web"])).exists

"""The changelog on every EventStore backend (SQL, and OpenSearch / Elasticsearch when a node is
available: ``-m opensearch``): the same lists, versions, windows and API answers."""

from __future__ import annotations

import copy
import random
from datetime import timedelta

import pytest
from django.utils import timezone

from auditui.events.simulator.context import received_stage
from auditui.events.store import ObjectRef
from auditui.policies import selectors
from tests.policies.stories import PolicyStory, delete_collection, full_lifecycle

REF = ObjectRef("c1", "networkpolicies", "allow-web", "payments", "networking.k8s.io")


@pytest.fixture
def lifecycle(backend_store, ingest):
    story = full_lifecycle(PolicyStory(start=timezone.now() - timedelta(hours=3)))
    events = [copy.deepcopy(e) for e in story.events]
    noisy = events + [received_stage(e) for e in events[:3]]
    random.Random(5).shuffle(noisy)
    ingest(noisy[:6], cluster="c1")
    ingest(noisy[4:], cluster="c1")  # overlapping batches: duplicates
    return story


def test_it_lists_and_rebuilds_the_same_on_every_backend(lifecycle, everything):
    now = timezone.now()
    (row,) = selectors.changed_policies(everything, start=now - timedelta(days=1), end=now).rows
    assert (row.name, row.changes, row.exists, row.last_user) == ("allow-web", 6, True, "dave@example.com")
    log = selectors.policy_changelog(everything, REF)
    responses = [e.get("responseObject") for e in lifecycle.events if e["responseStatus"]["code"] < 400]
    assert [c.after for c in log.changes if not c.is_delete] == [r for r in responses if r.get("kind") != "Status"]
    assert [(a.code, a.record.username) for a in log.attempts] == [(403, "mallory@example.com")]
    assert len(log.lives) == 2


def test_it_reads_a_window_on_every_backend(lifecycle, everything):
    from auditui.events.normalize import parse_time

    start = parse_time(lifecycle.events[3]["requestReceivedTimestamp"], "t")
    part = selectors.policy_changelog(everything, REF, start=start)
    assert [c.verb for c in part.changes] == ["update", "delete", "create"] and part.changes[0].diffable


def test_it_finds_the_version_a_window_starts_from_however_old_on_every_backend(backend_store, ingest, everything):
    # Request-level patches only make sense on top of the version before them: the window's base
    # is looked for back through yesterday, the week, the month, and then everything before.
    now = timezone.now()
    story = PolicyStory(level="Request", start=now - timedelta(days=60))
    story.create({"podSelector": {}, "policyTypes": ["Ingress"]}, minutes=0)
    story.merge_patch({"metadata": {"labels": {"team": "payments"}}}, minutes=40 * 24 * 60)  # 20 days ago
    story.merge_patch({"spec": {"policyTypes": ["Ingress", "Egress"]}}, minutes=17 * 24 * 60)  # 3 days ago
    story.merge_patch({"metadata": {"labels": {"tier": "gold"}}}, minutes=(3 * 24 - 12) * 60)  # 12 h ago
    ingest(story.events, cluster="c1")
    whole = selectors.policy_changelog(everything, REF)
    assert [c.verb for c in whole.changes] == ["create", "patch", "patch", "patch"]
    part = selectors.policy_changelog(everything, REF, start=now - timedelta(days=1))
    assert [c.verb for c in part.changes] == ["patch"]
    assert part.changes[0].before == whole.changes[2].after
    assert part.changes[0].after["metadata"]["labels"] == {"team": "payments", "tier": "gold"}
    assert part.changes[0].after["spec"]["policyTypes"] == ["Ingress", "Egress"]
    # The history page finds a policy whose only write is two months old.
    old = PolicyStory(name="left-alone", start=now - timedelta(days=60))
    old.create({"podSelector": {}, "policyTypes": ["Ingress"]}, minutes=0)
    ingest(old.events, cluster="c1")
    found = selectors.find_policy(everything, "networkpolicies.networking.k8s.io", "payments", "left-alone", "c1")
    assert found.ref == ObjectRef("c1", "networkpolicies", "left-alone", "payments", "networking.k8s.io")


def test_it_answers_the_api_and_finds_the_policy_on_every_backend(lifecycle, client, admin):
    client.force_login(admin)
    body = client.get("/api/v1/policies/networkpolicies/payments/allow-web/changelog").json()
    assert [c["verb"] for c in body["changes"]] == ["create", "patch", "patch", "update", "delete", "create"]
    assert body["changes"][2]["diff"][0]["path"] == "spec.ingress[0].ports[1]"
    page = client.get("/policies/networkpolicies/payments/allow-web/")
    assert page.status_code == 200 and page.content.decode().count('data-testid="change"') == 6


def test_it_counts_collection_deletes_on_every_backend(backend_store, ingest, everything):
    start = timezone.now() - timedelta(hours=2)
    web, deny = PolicyStory(name="allow-web", start=start), PolicyStory(name="deny-all", start=start)
    cart = PolicyStory(name="cart", namespace="checkout", start=start)
    for story in (web, deny, cart):
        story.create({"podSelector": {}})
        ingest(story.events)
    ingest([delete_collection([web], namespace="payments", selector="app=web")])  # the response lists it
    ingest([delete_collection([deny, cart], namespace=None, level="Metadata", minutes=20)])  # inferred: all left
    now = timezone.now()
    rows = selectors.changed_policies(everything, start=now - timedelta(days=1), end=now).rows
    assert sorted((r.namespace, r.name, r.changes, r.exists, r.last_verb) for r in rows) == [
        ("checkout", "cart", 2, False, "deletecollection"),
        ("payments", "allow-web", 2, False, "deletecollection"),
        ("payments", "deny-all", 2, False, "deletecollection"),
    ]
    for story in (web, deny, cart):
        ref = ObjectRef("c1", "networkpolicies", story.name, story.namespace, "networking.k8s.io")
        assert [c.verb for c in selectors.policy_changelog(everything, ref).changes] == ["create", "deletecollection"]

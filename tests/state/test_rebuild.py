"""Rebuilding a cluster's state through the event store's public interface, on every backend."""

from __future__ import annotations

from datetime import timedelta

from auditui.access.scope import ViewerScope
from auditui.events.ingest import ingest_events
from auditui.state.rebuild import rebuild
from auditui.state.selector import parse
from auditui.state.selectors import endpoint_list
from tests.state.story import ClusterStory


def payments_story() -> ClusterStory:
    story = ClusterStory()
    story.create("namespaces", "payments", labels={"team": "money"})
    story.create("namespaces", "shop")
    story.create("pods", "web", "payments", labels={"app": "web"}, spec={"serviceAccountName": "front"})
    story.create("pods", "db", "payments", labels={"app": "db"})
    story.create("pods", "cart", "shop", labels={"app": "cart"})
    story.create("networkpolicies", "web-in", "payments", spec={"podSelector": {"matchLabels": {"app": "web"}}})
    story.create("calico-networkpolicies", "default.db-out", "payments",
                 spec={"selector": "app == 'db'", "types": ["Egress"]})
    return story


def test_it_gives_the_same_endpoints_on_every_backend(backend_store):
    story = payments_story()
    before_delete = story.at()
    story.delete("pods", "cart", "shop", minutes=5)
    ingest_events(story.events, cluster="c1")
    page = endpoint_list(scope=ViewerScope.all(), cluster="c1", at=before_delete, selector=parse(""))
    rows = [r.as_json() for r in page.rows]
    assert [(r["namespace"], r["name"]) for r in rows] == [("payments", "db"), ("payments", "web"), ("shop", "cart")]
    web = rows[1]
    assert web == {
        "cluster": "c1", "namespace": "payments", "name": "web", "labels": {"app": "web"},
        "serviceAccount": "front", "ingressProtected": True, "egressProtected": False,
        "appliedPolicies": ["NetworkPolicy.networking.k8s.io(payments/web-in)"],
    }
    assert rows[0]["egressProtected"] and not rows[0]["ingressProtected"]
    later = rebuild("c1", story.at(1))
    assert sorted(later.entries("pods")) == [("payments", "db"), ("payments", "web")]


def test_it_rebuilds_an_instant_between_events(backend_store):
    story = ClusterStory()
    story.create("pods", "web", "payments", labels={"v": "1"})
    middle = story.at(1)
    story.patch("pods", "web", "payments", body={"metadata": {"labels": {"v": "2"}}}, minutes=2)
    ingest_events(story.events, cluster="c1")
    assert rebuild("c1", middle).get("pods", "payments", "web").labels == {"v": "1"}
    assert rebuild("c1", story.at()).get("pods", "payments", "web").labels == {"v": "2"}
    assert rebuild("c1", story.at() - timedelta(hours=1)).get("pods", "payments", "web") is None


def test_it_keeps_clusters_apart(backend_store):
    story = payments_story()
    ingest_events(story.events, cluster="c1")
    assert list(rebuild("c2", story.at()).all_entries()) == []


def test_it_rebuilds_just_before_the_instant_of_a_snapshot(db):
    from auditui.state.snapshots import snapshot_take

    story = payments_story()
    midnight = story.at(5)
    story.delete("pods", "cart", "shop", minutes=10)
    ingest_events(story.events, cluster="c1")
    snapshot_take(cluster="c1", at=midnight)
    state = rebuild("c1", midnight, inclusive=False)  # a daily report's interval starting at the snapshot
    assert ("shop", "cart") in state.entries("pods")

"""A pod's applied policies over time: since when each applies."""

from __future__ import annotations

from auditui.events.ingest import ingest_events
from auditui.state.snapshots import snapshot_take
from auditui.state.timeline import pod_timeline
from tests.state.story import ClusterStory


def since_of(timeline) -> dict[str, object]:
    return {a.policy.name: a.since for a in timeline.applied}


def test_it_starts_the_clock_when_a_label_change_brings_a_policy_in(db):
    story = ClusterStory()
    story.create("networkpolicies", "web-in", "payments", spec={"podSelector": {"matchLabels": {"app": "web"}}})
    story.create("networkpolicies", "all-in", "payments", spec={"podSelector": {}})
    story.create("pods", "web", "payments", labels={"app": "api"})
    created = story.clock
    story.patch("pods", "web", "payments", body={"metadata": {"labels": {"app": "web"}}}, minutes=10)
    relabelled = story.clock
    ingest_events(story.events, cluster="c1")
    timeline = pod_timeline(cluster="c1", namespace="payments", name="web", at=story.at(5), include_staged=False)
    assert since_of(timeline) == {"web-in": relabelled, "all-in": created}


def test_it_restarts_the_clock_when_a_policy_comes_back(db):
    story = ClusterStory()
    story.create("pods", "web", "payments")
    story.create("networkpolicies", "deny", "payments", spec={"podSelector": {}})
    story.delete("networkpolicies", "deny", "payments")
    story.create("networkpolicies", "deny", "payments", spec={"podSelector": {}}, minutes=3)
    recreated = story.clock
    ingest_events(story.events, cluster="c1")
    timeline = pod_timeline(cluster="c1", namespace="payments", name="web", at=story.at(), include_staged=False)
    assert since_of(timeline) == {"deny": recreated}


def test_it_says_where_its_knowledge_starts_when_replaying_from_a_snapshot(db):
    story = ClusterStory()
    story.create("networkpolicies", "deny", "payments", spec={"podSelector": {}})
    story.create("pods", "web", "payments")
    ingest_events(story.events, cluster="c1")
    snapshot = snapshot_take(cluster="c1", at=story.at(60))
    timeline = pod_timeline(cluster="c1", namespace="payments", name="web", at=story.at(90), include_staged=False)
    # The pod's creation is before the snapshot, so the replay starts from the events (no earlier snapshot).
    assert timeline.known_from is None and since_of(timeline)["deny"] == story.clock
    assert snapshot.object_count == 2


def test_it_answers_none_for_a_pod_that_did_not_exist(db):
    story = ClusterStory()
    story.create("pods", "web", "payments")
    ingest_events(story.events, cluster="c1")
    timeline = pod_timeline(cluster="c1", namespace="payments", name="nope", at=story.at(), include_staged=False)
    assert timeline.result is None and timeline.applied == []

"""Daily snapshots (beat and on demand) and what a rebuild takes from them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from auditui.celery import app
from auditui.events.ingest import ingest_events
from auditui.state.cluster import ClusterState, Entry
from auditui.state.models import StateSnapshot
from auditui.state.rebuild import rebuild
from auditui.state.snapshots import midnight, snapshot_take, snapshots_prune, snapshots_take_daily
from auditui.state.tasks import take_daily_snapshots
from tests.state.story import ClusterStory


def test_it_takes_one_midnight_snapshot_per_cluster_and_day(db):
    story = ClusterStory()
    story.create("pods", "web", "payments")
    ingest_events(story.events, cluster="c1")
    other = ClusterStory("c2")
    other.create("pods", "a", "x")
    ingest_events(other.events, cluster="c2")
    now = story.at() + timedelta(days=1)
    first = snapshots_take_daily(now=now)
    again = snapshots_take_daily(now=now)
    assert sorted(s.cluster for s in first) == ["c1", "c2"] and again == []
    snapshot = StateSnapshot.objects.get(cluster="c1")
    assert snapshot.at == midnight(now) and snapshot.object_count == 1
    assert ClusterState.from_json(snapshot.state).get("pods", "payments", "web") is not None


def test_it_rebuilds_from_the_last_snapshot_not_from_the_beginning(db):
    story = ClusterStory()
    story.create("pods", "web", "payments")
    ingest_events(story.events, cluster="c1")
    at = story.at(10)
    # A snapshot that disagrees with the events before it: the rebuild must start from it.
    state = ClusterState("c1", at=at)
    state.put("pods", Entry({"metadata": {"name": "from-snapshot", "namespace": "payments"}}))
    StateSnapshot.objects.create(cluster="c1", at=at, source=StateSnapshot.DAILY, state=state.to_json())
    later = ClusterStory(start=at)
    later.create("pods", "after", "payments")
    ingest_events(later.events, cluster="c1")
    rebuilt = rebuild("c1", later.at())
    assert sorted(rebuilt.entries("pods")) == [("payments", "after"), ("payments", "from-snapshot")]
    assert rebuild("c1", story.at()).get("pods", "payments", "web") is not None  # before it: from events


def test_it_does_not_replay_an_event_twice_across_a_snapshot(db):
    story = ClusterStory()
    story.create("pods", "web", "payments", labels={"n": "1"})
    ingest_events(story.events, cluster="c1")
    snapshot = snapshot_take(cluster="c1", at=story.clock)  # an event stamped exactly then stays out
    assert ClusterState.from_json(snapshot.state).get("pods", "payments", "web") is None
    assert rebuild("c1", story.clock).get("pods", "payments", "web").labels == {"n": "1"}


def test_it_runs_the_daily_snapshot_from_beat(db):
    entry = app.conf.beat_schedule["snapshot-cluster-state"]
    assert entry["task"] == take_daily_snapshots.name
    story = ClusterStory(start=datetime.now(UTC) - timedelta(days=2))
    story.create("pods", "web", "payments")
    ingest_events(story.events, cluster="c1")
    assert take_daily_snapshots() == 1
    assert StateSnapshot.objects.filter(cluster="c1").count() == 1


def test_it_prunes_snapshots_past_retention_but_the_newest_before_the_cutoff(db, settings):
    settings.AUDITUI_RETENTION_DAYS = 10
    now = datetime(2026, 11, 30, 1, tzinfo=UTC)
    for days in (30, 20, 12, 5):
        StateSnapshot.objects.create(cluster="c1", at=midnight(now - timedelta(days=days)), state={})
    StateSnapshot.objects.create(cluster="c2", at=midnight(now - timedelta(days=40)), state={})
    assert snapshots_prune(now=now) == 2
    kept = sorted((s.cluster, (now - s.at).days) for s in StateSnapshot.objects.all())
    assert kept == [("c1", 5), ("c1", 12), ("c2", 40)]

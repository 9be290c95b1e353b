"""``manage.py snapshot_state``: a snapshot on demand."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from auditui.events.ingest import ingest_events
from auditui.state.models import StateSnapshot
from tests.state.story import ClusterStory


def test_it_stores_a_snapshot_of_each_cluster_at_the_instant_asked(db):
    for cluster in ("c1", "c2"):
        story = ClusterStory(cluster)
        story.create("pods", "web", "payments")
        ingest_events(story.events, cluster=cluster)
    out = StringIO()
    call_command("snapshot_state", "--at", story.at(5).isoformat(), stdout=out)
    assert "c1: 1 objects" in out.getvalue() and "c2: 1 objects" in out.getvalue()
    assert sorted(StateSnapshot.objects.values_list("cluster", "source")) == [("c1", "daily"), ("c2", "daily")]
    call_command("snapshot_state", "--cluster", "c1", "--at", story.at(6).isoformat(), stdout=StringIO())
    assert StateSnapshot.objects.filter(cluster="c1").count() == 2


def test_it_refuses_a_time_it_cannot_read(db):
    with pytest.raises(CommandError, match="not a time"):
        call_command("snapshot_state", "--at", "soonish", stdout=StringIO())

"""A small cluster written to the store: payments (web, db) and shop (cart), two policies."""

from __future__ import annotations

import pytest

from auditui.events.ingest import ingest_events
from tests.state.story import ClusterStory


@pytest.fixture
def payments_cluster(db) -> ClusterStory:
    story = ClusterStory()
    story.create("namespaces", "payments", labels={"team": "money"})
    story.create("namespaces", "shop")
    story.create("pods", "web", "payments", labels={"app": "web"}, spec={"serviceAccountName": "front"})
    story.create("pods", "db", "payments", labels={"app": "db"})
    story.create("pods", "cart", "shop", labels={"app": "cart"})
    story.create("networkpolicies", "web-in", "payments", spec={"podSelector": {"matchLabels": {"app": "web"}}},
                 minutes=30)
    story.create("globalnetworkpolicies", "default.all-out", spec={"selector": "all()", "types": ["Egress"]},
                 minutes=30)
    ingest_events(story.events, cluster="c1")
    return story

"""Hostile input on the endpoints pages and API: pod names, labels and service accounts holding
HTML are shown inert, and selectors may still pick such labels."""

from __future__ import annotations

from urllib.parse import quote

from django.urls import reverse

from auditui.events.ingest import ingest_events
from tests.state.story import ClusterStory

SCRIPT = "<script>alert(1)</script>"


def test_it_shows_hostile_pods_inert(client, admin):
    story = ClusterStory()
    story.create("namespaces", "payments")
    story.create("pods", f"web{SCRIPT}", "payments", labels={"app": "web", "note": SCRIPT},
                 spec={"serviceAccountName": f"sa{SCRIPT}"})
    assert ingest_events(story.events, cluster="c1").ingested == len(story.events)
    client.force_login(admin)
    at = quote(story.at(5).isoformat())

    page = client.get(f"/endpoints/?cluster=c1&at={at}")
    assert page.status_code == 200
    html = page.content.decode()
    assert SCRIPT not in html and "&lt;script&gt;" in html
    pod = client.get(reverse("state:endpoint", args=["c1", "payments", f"web{SCRIPT}"]) + f"?at={at}")
    assert pod.status_code == 200 and SCRIPT not in pod.content.decode()

    api = client.get("/api/v1/endpoints", {"cluster": "c1", "at": story.at(5).isoformat(), "selector": "app == 'web'"})
    assert api.status_code == 200
    assert api.json()["results"][0]["labels"]["note"] == SCRIPT  # the API carries the text as it was

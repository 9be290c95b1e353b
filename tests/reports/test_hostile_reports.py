"""Hostile input in reports: policy events whose names hold HTML, whose bodies are nested deeper
than pages show and hold integers beyond 64 bits are written to every file, downloaded and shown
inert on the compliance pages."""

from __future__ import annotations

import json

import yaml

from reports.runs import report_run_now
from tests.reports.test_generate import END, START, policy, report

SCRIPT = "<script>alert(1)</script>"


def nested(depth: int) -> dict:
    value: dict = {"leaf": 2**70}
    for _ in range(depth):
        value = {"a": value}
    return value


def test_it_writes_downloads_and_shows_hostile_policy_events(client, admin, ingest):
    event = policy("create", 1, name=f"web{SCRIPT}")
    event["requestObject"] = {"kind": "NetworkPolicy", "spec": nested(300), "note": SCRIPT}
    assert ingest([event], cluster="c1").ingested == 1
    run = report_run_now(report("policy-audit"), start=START, end=END)
    assert run.state == "succeeded", run.error

    client.force_login(admin)
    for fmt in ("events.json", "events.yaml", "summary.csv"):
        response = client.get(f"/api/v1/reports/{run.calico_id}/download", {"format": fmt})
        assert response.status_code == 200, fmt
        body = b"".join(response.streaming_content) if response.streaming else response.content
        if fmt == "events.json":
            assert json.loads(body)[0]["objectRef"]["name"] == f"web{SCRIPT}"
        elif fmt == "events.yaml":
            assert yaml.safe_load(body)[0]["objectRef"]["name"] == f"web{SCRIPT}"
    for url in ("/reports/", f"/reports/{run.calico_id}/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert SCRIPT not in response.content.decode(), url

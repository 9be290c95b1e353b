"""20 API servers' webhook backends sending at once to a real gunicorn (as in production), each
retrying every batch once: every event is ingested exactly once, every retry counts only
duplicates, and no sender ever sees an error (no "database is locked" on SQLite)."""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.hostile.processes import Installation, free_port, kill, wait_until

SENDERS = 20
BATCHES = 3  # per sender
BATCH_SIZE = 100


def post(url: str, token: str, events: list[dict]) -> tuple[int, dict | str]:
    body = json.dumps({"kind": "EventList", "apiVersion": "audit.k8s.io/v1", "items": events}).encode()
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.read().decode(errors="replace")


def sender(url: str, token: str, batches: list[list[dict]]) -> list[tuple[str, int, dict | str]]:
    """What an API server does when it got no answer in time: send the same batch again."""
    answers = []
    for batch in batches:
        for attempt in ("first", "retry"):
            status, payload = post(url, token, batch)
            answers.append((attempt, status, payload))
    return answers


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.mark.slow
def test_it_counts_exactly_under_20_concurrent_senders_each_retrying_every_batch(
        installation: Installation, simulated_file, tmp_path):
    path, _identities = simulated_file
    with path.open() as lines:
        events = [json.loads(next(lines)) for _ in range(SENDERS * BATCHES * BATCH_SIZE)]
    batches = [events[i:i + BATCH_SIZE] for i in range(0, len(events), BATCH_SIZE)]
    token = installation.manage("create_ingest_token", "--cluster", "load").stdout.strip().splitlines()[-1]
    port = free_port()
    server = installation.spawn([sys.executable, "-m", "gunicorn", "auditui.wsgi:application", "--bind",
                                 f"127.0.0.1:{port}", "--workers", "2", "--threads", "4"],
                                log=tmp_path / "gunicorn.log")
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until("gunicorn to answer", lambda: healthy(url), timeout=60, every=0.2)
        with ThreadPoolExecutor(max_workers=SENDERS) as pool:
            answers = [a for answers in pool.map(lambda i: sender(f"{url}/api/v1/audit/webhook", token,
                                                                 batches[i::SENDERS]), range(SENDERS))
                       for a in answers]
    finally:
        kill(server)

    failures = [(status, payload) for _attempt, status, payload in answers if status != 200]
    assert failures == [], (tmp_path / "gunicorn.log").read_text()[-3000:]
    firsts = [payload for attempt, _status, payload in answers if attempt == "first"]
    retries = [payload for attempt, _status, payload in answers if attempt == "retry"]
    assert len(firsts) == len(retries) == SENDERS * BATCHES
    assert {(p["ingested"], p["duplicates"], p["rejected"]) for p in firsts} == {(BATCH_SIZE, 0, 0)}
    assert {(p["ingested"], p["duplicates"], p["rejected"]) for p in retries} == {(0, BATCH_SIZE, 0)}
    assert installation.stored() == len(events)
    installation.assert_counts_agree()
    assert "locked" not in (tmp_path / "gunicorn.log").read_text()

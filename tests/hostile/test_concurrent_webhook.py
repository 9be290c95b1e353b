"""20 API servers' webhook backends sending at once to a real gunicorn (as in production), each
retrying every batch once: every event is ingested exactly once, every retry counts only
duplicates, and no sender ever sees an error (no "database is locked" on SQLite)."""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

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


@contextmanager
def gunicorn(installation: Installation, log: Path) -> Iterator[str]:
    """auditui served as in production (2 workers of 4 threads); the webhook's URL."""
    port = free_port()
    server = installation.spawn([sys.executable, "-m", "gunicorn", "auditui.wsgi:application", "--bind",
                                 f"127.0.0.1:{port}", "--workers", "2", "--threads", "4"], log=log)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until("gunicorn to answer", lambda: healthy(url), timeout=60, every=0.2)
        yield f"{url}/api/v1/audit/webhook"
    finally:
        kill(server)


def simulated_batches(path: Path) -> list[list[dict]]:
    with path.open() as lines:
        events = [json.loads(next(lines)) for _ in range(SENDERS * BATCHES * BATCH_SIZE)]
    return [events[i:i + BATCH_SIZE] for i in range(0, len(events), BATCH_SIZE)]


@pytest.mark.slow
def test_it_counts_exactly_under_20_concurrent_senders_each_retrying_every_batch(
        installation: Installation, simulated_file, tmp_path):
    batches = simulated_batches(simulated_file[0])
    token = installation.manage("create_ingest_token", "--cluster", "load").stdout.strip().splitlines()[-1]
    with gunicorn(installation, tmp_path / "gunicorn.log") as url, ThreadPoolExecutor(max_workers=SENDERS) as pool:
        answers = [a for answers in pool.map(lambda i: sender(url, token, batches[i::SENDERS]), range(SENDERS))
                   for a in answers]

    failures = [(status, payload) for _attempt, status, payload in answers if status != 200]
    assert failures == [], (tmp_path / "gunicorn.log").read_text()[-3000:]
    firsts = [payload for attempt, _status, payload in answers if attempt == "first"]
    retries = [payload for attempt, _status, payload in answers if attempt == "retry"]
    assert len(firsts) == len(retries) == SENDERS * BATCHES
    assert {(p["ingested"], p["duplicates"], p["rejected"]) for p in firsts} == {(BATCH_SIZE, 0, 0)}
    assert {(p["ingested"], p["duplicates"], p["rejected"]) for p in retries} == {(0, BATCH_SIZE, 0)}
    assert installation.stored() == len(batches) * BATCH_SIZE
    installation.assert_counts_agree()
    assert "locked" not in (tmp_path / "gunicorn.log").read_text()


@pytest.mark.slow
def test_it_counts_each_event_once_when_a_retry_overlaps_the_first_send(
        installation: Installation, simulated_file, tmp_path):
    """An API server that timed out sends the batch again while the first request still runs."""
    batches = simulated_batches(simulated_file[0])[:SENDERS]
    token = installation.manage("create_ingest_token", "--cluster", "load").stdout.strip().splitlines()[-1]
    with gunicorn(installation, tmp_path / "gunicorn.log") as url, ThreadPoolExecutor(max_workers=SENDERS) as pool:
        answers = list(pool.map(lambda batch: post(url, token, batch), [b for b in batches for _twice in (1, 2)]))

    assert [status for status, _payload in answers] == [200] * len(answers), answers
    for first, retry in zip(answers[::2], answers[1::2], strict=True):
        # Which request stores which event is a race (on a search engine each event is its own
        # create, so the two may share the batch); that each event counts once as ingested and
        # once as a duplicate is not.
        assert (first[1]["ingested"] + retry[1]["ingested"], first[1]["duplicates"] + retry[1]["duplicates"],
                first[1]["rejected"] + retry[1]["rejected"]) == (BATCH_SIZE, BATCH_SIZE, 0)
    assert installation.stored() == len(batches) * BATCH_SIZE
    installation.assert_counts_agree()

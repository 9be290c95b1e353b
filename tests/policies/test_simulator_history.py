"""Changelogs of the simulator's policies (create, update, merge/JSON/strategic patches, refusals,
deletes, recreations), read back through the store."""

from __future__ import annotations

import copy
from collections import Counter
from datetime import UTC, datetime

import pytest

from auditui.events.normalize import normalize_event
from auditui.events.simulator import generate, is_policy_change
from auditui.events.store import ObjectRef
from auditui.policies import selectors
from auditui.policies.history import build_changelog, version_after
from auditui.policies.kinds import policy_kinds

START = datetime(2026, 11, 1, tzinfo=UTC)
KINDS = {k.key for k in policy_kinds()}


@pytest.fixture(scope="module")
def simulated():
    return list(generate(clusters=["c1"], start=START, days=2, events_per_second=0.05, seed=1))


def _policy_events(simulated):
    by_object: dict[ObjectRef, list[dict]] = {}
    for _cluster, event in simulated:
        ref = event.get("objectRef") or {}
        if (ref.get("apiGroup", ""), ref.get("resource")) in KINDS and ref.get("name"):
            key = ObjectRef("c1", ref["resource"], ref["name"], ref.get("namespace", ""), ref.get("apiGroup", ""))
            by_object.setdefault(key, []).append(event)
    return by_object


def test_it_rebuilds_every_recorded_version_of_every_simulated_policy(simulated, ingest, everything):
    ingest([event for _c, event in simulated], cluster="c1")
    by_object = _policy_events(simulated)
    assert len(by_object) > 20
    checked = Counter()
    for ref, events in by_object.items():
        log = selectors.policy_changelog(everything, ref)
        expected = [e for e in events if is_policy_change(e)]
        assert [c.record.audit_id for c in log.changes] == [e["auditID"] for e in expected], ref
        for change, event in zip(log.changes, expected, strict=True):
            response = event.get("responseObject")
            if response and response.get("kind") != "Status":
                assert change.after == response
                checked[change.verb] += 1
        assert all(a.code is None or a.code >= 400 for a in log.attempts)
    assert checked["create"] and checked["update"] and checked["patch"] > 20


def _request_level(event: dict) -> dict:
    event = copy.deepcopy(event)
    event["level"] = "Request"
    event.pop("responseObject", None)
    return event


def _comparable(obj: dict) -> dict:
    obj = copy.deepcopy(obj)
    for key in ("resourceVersion", "managedFields", "generation"):
        obj["metadata"].pop(key, None)
    return obj


def test_it_replays_each_simulated_request_on_the_recorded_previous_version(simulated):
    """Without responses, updates and merge / JSON / strategic patches replayed on the version
    before them give what the API server recorded (but for its own bookkeeping)."""
    replayed = Counter()
    for events in _policy_events(simulated).values():
        previous = None
        for event in sorted((e for e in events if is_policy_change(e)), key=lambda e: e["requestReceivedTimestamp"]):
            record = normalize_event(_request_level(event), cluster="c1")
            if event["verb"] in ("update", "patch") and previous is not None:
                after, source, note = version_after(record, previous)
                assert _comparable(after) == _comparable(event["responseObject"]), (note, event)
                body = event["requestObject"]
                replayed[source + ("/json" if isinstance(body, list) else "/merge" if source == "patch" else "")] += 1
            previous = event.get("responseObject") if event["verb"] != "delete" else None
    assert replayed["request"] > 5 and replayed["patch/json"] > 5 and replayed["patch/merge"] > 5, replayed


def test_it_replays_whole_simulated_histories_without_responses(simulated):
    """The same, chained: each replayed version is the base of the next replay."""
    chained = 0
    for events in _policy_events(simulated).values():
        log = build_changelog([normalize_event(_request_level(e), cluster="c1") for e in events])
        truth = {e["auditID"]: e.get("responseObject") for e in events if is_policy_change(e)}
        for change in log.changes:
            if change.known and not change.is_delete:
                expected = _comparable(truth[change.record.audit_id])
                actual = _comparable(change.after)
                for key in ("uid", "creationTimestamp"):  # a create's request cannot tell them
                    expected["metadata"].pop(key, None)
                    actual["metadata"].pop(key, None)
                assert actual == expected
                chained += 1
    assert chained > 50

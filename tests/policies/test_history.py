"""Rebuilding versions from hand-built event sequences (no store: ``build_changelog`` alone)."""

from __future__ import annotations

import copy
import random
from datetime import timedelta

from auditui.events.normalize import normalize_event
from auditui.events.simulator.context import received_stage
from auditui.policies.diff import diff
from auditui.policies.history import NOT_RECORDED, build_changelog
from tests.policies.stories import WEB_SPEC, PolicyStory, full_lifecycle


def _records(events, cluster="c1"):
    return [normalize_event(copy.deepcopy(e), cluster=cluster) for e in events]


def test_it_rebuilds_every_version_of_a_full_lifecycle():
    story = full_lifecycle()
    log = build_changelog(_records(story.events))
    assert [c.verb for c in log.changes] == ["create", "patch", "patch", "update", "delete", "create"]
    responses = [e.get("responseObject") for e in story.events if e["responseStatus"]["code"] < 400]
    for change, response in zip(log.changes, responses, strict=True):
        if change.is_delete:
            assert change.after is None and change.known
        else:
            assert change.after == response and change.source == "response"
    assert log.exists and log.current["spec"] == {"podSelector": {}, "policyTypes": ["Ingress"]}


def test_it_lists_refused_writes_apart_and_never_as_changes():
    log = build_changelog(_records(full_lifecycle().events))
    assert [(a.record.verb, a.code, a.reason, a.record.username) for a in log.attempts] == [
        ("update", 403, "Forbidden", "mallory@example.com")]
    assert all(c.record.response_code < 400 for c in log.changes)


def test_it_separates_the_lives_of_a_recreated_object():
    story = full_lifecycle()
    log = build_changelog(_records(story.events))
    first, second = log.lives
    assert first.uid != second.uid and first.uid and second.uid == story.current["metadata"]["uid"]
    assert first.created is log.changes[0] and first.deleted is log.changes[4]
    assert second.created is log.changes[5] and second.deleted is None
    assert [c.life for c in log.changes] == [1, 1, 1, 1, 1, 2]
    # The recreate is diffed against nothing, not against the last version of the first life.
    assert log.changes[5].before is None and log.changes[5].before_known


def test_it_diffs_each_change_against_the_previous_version():
    log = build_changelog(_records(full_lifecycle().events))
    merge, json_patch, update = log.changes[1:4]
    assert [(c.path_text, c.new) for c in diff(merge.before, merge.after)] == [("metadata.labels.owner", "sre")]
    assert [(c.path_text, c.op, c.new) for c in diff(json_patch.before, json_patch.after)] == [
        ("spec.ingress[0].ports[1]", "added", {"protocol": "TCP", "port": 8443})]
    assert {c.path_text for c in diff(update.before, update.after)} == {"spec.policyTypes[1]", "spec.egress"}


def _without_server_fields(obj):
    """What requests cannot tell: the server's bookkeeping, and the uid it gives on create."""
    obj = copy.deepcopy(obj)
    for key in ("resourceVersion", "managedFields", "generation", "uid", "creationTimestamp"):
        obj["metadata"].pop(key, None)
    return obj


def test_it_replays_requests_when_responses_are_not_recorded():
    story = full_lifecycle(PolicyStory(level="RequestResponse"))
    request_level = copy.deepcopy(story.events)
    for event in request_level:
        event["level"] = "Request"
        event.pop("responseObject", None)
    expected = [e.get("responseObject") for e in story.events if e["responseStatus"]["code"] < 400]
    log = build_changelog(_records(request_level))
    assert [c.source for c in log.changes] == ["request", "patch", "patch", "request", "", "request"]
    for change, response in zip(log.changes, expected, strict=True):
        if not change.is_delete:
            assert _without_server_fields(change.after) == _without_server_fields(response)


def test_it_lists_metadata_only_changes_without_content():
    story = full_lifecycle(PolicyStory(level="Metadata"))
    log = build_changelog(_records(story.events))
    assert [c.verb for c in log.changes] == ["create", "patch", "patch", "update", "delete", "create"]
    assert all(c.after is None for c in log.changes)
    assert [c.known for c in log.changes] == [False, False, False, False, True, False]
    assert log.changes[1].note == NOT_RECORDED
    assert len(log.lives) == 2 and len(log.attempts) == 1


def test_it_orders_by_time_whatever_the_arrival_and_ignores_duplicates_and_received_stages():
    story = full_lifecycle()
    events = [copy.deepcopy(e) for e in story.events]
    noisy = events + [received_stage(e) for e in events] + [copy.deepcopy(e) for e in events[::2]]
    random.Random(3).shuffle(noisy)
    expected = build_changelog(_records(story.events))
    log = build_changelog(_records(noisy))
    assert [(c.record.audit_id, c.after) for c in log.changes] == [
        (c.record.audit_id, c.after) for c in expected.changes]
    assert len(log.attempts) == 1


def test_it_breaks_time_ties_by_resource_version():
    story = PolicyStory()
    story.create(copy.deepcopy(WEB_SPEC))
    story.merge_patch({"spec": {"policyTypes": ["Ingress", "Egress"]}}, minutes=0)
    story.merge_patch({"metadata": {"labels": {"a": "b"}}}, minutes=0)
    later, earlier = story.events[2], story.events[1]
    log = build_changelog(_records([later, earlier, story.events[0]]))
    assert [c.record.audit_id for c in log.changes] == [e["auditID"] for e in story.events]


def test_it_reports_requests_whose_outcome_was_not_recorded():
    story = PolicyStory()
    story.create(copy.deepcopy(WEB_SPEC))
    pending = received_stage(story.merge_patch({"metadata": {"labels": {"a": "b"}}}))
    log = build_changelog(_records([story.events[0], pending]))
    assert len(log.changes) == 1
    assert [(a.reason, a.code) for a in log.attempts] == [("NoResponse", None)]


def test_it_shows_the_object_as_it_was_at_any_instant():
    story = full_lifecycle()
    log = build_changelog(_records(story.events))
    times = [c.time for c in log.changes]
    assert log.at(times[0] - timedelta(seconds=1)).state == "absent"
    assert log.at(times[0]).object == log.changes[0].after
    between = log.at(times[2] + timedelta(minutes=1))
    assert between.state == "exists" and between.change is log.changes[2]
    assert log.at(times[4] + timedelta(minutes=1)).state == "absent"
    assert log.at(times[5] + timedelta(days=1)).object == story.current


def test_it_says_when_the_state_before_the_first_recorded_change_is_unknown():
    story = full_lifecycle()
    log = build_changelog(_records(story.events[1:]))  # the create is older than retention
    assert log.at(log.changes[0].time - timedelta(seconds=1)).state == "unknown"
    assert log.changes[0].before_known is False and log.lives[0].created is None


def test_it_starts_a_new_life_when_the_uid_changes_without_a_recorded_delete():
    story = full_lifecycle()
    events = [e for e in story.events if e["verb"] != "delete"]
    log = build_changelog(_records(events))
    assert len(log.lives) == 2


def test_it_cannot_replay_a_patch_on_an_unknown_version():
    story = full_lifecycle(PolicyStory(level="Request"))
    log = build_changelog(_records(story.events[1:]))
    assert log.changes[0].after is None and "previous version is not known" in log.changes[0].note
    assert log.changes[2].source == "request"  # the update sends a whole object again


def test_it_windows_a_changelog_keeping_the_version_before_the_window():
    from auditui.policies.history import window

    log = build_changelog(_records(full_lifecycle().events))
    start = log.changes[3].time  # the update
    part = window(log, start)
    assert [c.verb for c in part.changes] == ["update", "delete", "create"]
    assert [c.number for c in part.changes] == [1, 2, 3]
    assert part.changes[0].diffable and part.base.verb == "patch"
    assert part.at(start - timedelta(minutes=1)).object == part.base.after
    assert len(part.attempts) == 1 and part.exists


def _nested(levels: int, leaf: object = "bottom") -> object:
    value = leaf
    for _ in range(levels):
        value = {"a": value}
    return value


def deep_story(level: str = "RequestResponse") -> PolicyStory:
    """create → merge patch, JSON patch and update that nest parts of the spec 300 levels deep."""
    story = PolicyStory(level=level)
    story.create(copy.deepcopy(WEB_SPEC))
    story.merge_patch({"spec": {"deep": _nested(300)}})
    story.json_patch([{"op": "replace", "path": "/spec/deep", "value": _nested(299)}])
    spec = copy.deepcopy(story.current["spec"])
    spec["policyTypes"] = ["Ingress", "Egress"]
    story.update(spec)
    return story


def test_it_rebuilds_versions_nested_300_levels_and_says_what_was_not_compared():
    from auditui.events.safe_json import too_deep
    from auditui.policies.history import TOO_DEEP

    for level in ("RequestResponse", "Request"):
        log = build_changelog(_records(deep_story(level).events))
        assert [c.verb for c in log.changes] == ["create", "patch", "patch", "update"]
        assert [c.known for c in log.changes] == [True] * 4
        assert [c.note for c in log.changes] == ["", TOO_DEEP, TOO_DEEP, TOO_DEEP]
        assert not any(too_deep(c.after) for c in log.changes)
        update = log.changes[3]
        assert [c.path_text for c in diff(update.before, update.after)] == ["spec.policyTypes[1]"]

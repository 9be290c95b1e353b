"""The detection pack (alerts/detections/k8s-pack.yaml): installed by the migration and by
``apply -f``, and each template proven through the real backtest on the real captured events of
testdata/k8s-audit/ (each sample file in a cluster of its own, at its own recorded time) or on
hand-built events, flagged and benign alike (expectations in detections_table.py)."""

from __future__ import annotations

import io
import json
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.core.management import call_command

from alerts.backtest import backtest
from alerts.models import GlobalAlertTemplate
from alerts.pack import MITRE, PACK_FILE, RATIONALE, pack_templates
from alerts.spec import rule_of
from auditui.events.ingest import ingest_path
from tests.alerts.conftest import T0, minutes
from tests.alerts.detections_table import EXACT_IDS, FLAGGED_FILES, HAND_BUILT, REAL
from tests.conftest import SHARED_DATA
from tests.factories import audit_event

ISSUE_DETECTIONS = 21
SPAN_GAP = timedelta(minutes=30)


def file_events(relative: str) -> list[dict]:
    """The audit events of one sample file (JSON Lines or one pretty-printed event)."""
    text = (SHARED_DATA / relative).read_text(encoding="utf-8")
    try:
        values = [json.loads(text)]
    except json.JSONDecodeError:
        values = [json.loads(line) for line in text.splitlines() if line.strip()]
    return [v for v in values if isinstance(v, dict) and v.get("auditID")]


def cluster_of(relative: str) -> str:
    return "s-" + Path(relative).stem.lower().replace("_", "-")[:48]


def event_time(event: dict) -> datetime:
    text = event.get("requestReceivedTimestamp") or event["timestamp"]
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def spans(times: list[datetime]) -> list[tuple[datetime, datetime]]:
    """The times grouped where they are less than SPAN_GAP apart, so that a backtest replays
    each group's few periods instead of the years between the captures."""
    groups: list[list[datetime]] = []
    for moment in sorted(times):
        if groups and moment - groups[-1][-1] < SPAN_GAP:
            groups[-1].append(moment)
        else:
            groups.append([moment])
    return [(group[0], group[-1]) for group in groups]


def flagged(template: GlobalAlertTemplate, store, times: list[datetime]) -> set[tuple[str, str]]:
    """(cluster, auditID) of every record behind what the template would have fired."""
    rule = rule_of(template.spec)
    found: set[tuple[str, str]] = set()
    for first, last in spans(times):
        start = first - timedelta(seconds=1)
        for fired in backtest(template.name, rule, store, start=start, end=last + rule.period + timedelta(seconds=1)):
            found.update((fired.keys["cluster"], audit_id) for audit_id in fired.audit_ids)
    return found


def ingest_files(files: list[str]) -> list[datetime]:
    times = []
    for relative in files:
        report = ingest_path(SHARED_DATA / relative, cluster=cluster_of(relative))
        assert report.ingested == len(file_events(relative)), relative
        times.extend(event_time(e) for e in file_events(relative))
    return times


def expected_ids(name: str, relative: str) -> set[tuple[str, str]]:
    ids = EXACT_IDS.get((name, relative)) or {e["auditID"] for e in file_events(relative)}
    return {(cluster_of(relative), audit_id) for audit_id in ids}


def test_it_installs_every_detection_of_the_issue_with_its_annotations(db):
    templates = list(pack_templates())
    assert len(templates) == ISSUE_DETECTIONS
    for template in templates:
        assert template.annotations[MITRE].startswith("T1"), template.name
        assert len(template.annotations[RATIONALE]) > 80, template.name
        assert "${" in template.spec["description"], template.name


def test_it_applies_the_pack_file_unchanged_over_the_migration(db):
    out = io.StringIO()
    call_command("apply", "-f", str(PACK_FILE), stdout=out)
    lines = out.getvalue().splitlines()
    assert len(lines) == ISSUE_DETECTIONS
    assert all(line.endswith(" unchanged") for line in lines), lines


def test_it_prints_the_annotations_back_with_get(db):
    out = io.StringIO()
    call_command("get", "globalalerttemplates", "k8s.pod-exec", "-o", "json", stdout=out)
    document = json.loads(out.getvalue())
    assert document["metadata"]["annotations"][MITRE] == "T1609"


@pytest.mark.parametrize("name", sorted(REAL))
def test_it_flags_the_real_events_and_not_their_benign_counterparts(backend_store, name):
    meant, benign = REAL[name]
    times = ingest_files(meant + benign)
    template = GlobalAlertTemplate.objects.get(name=name)
    expected = set().union(*(expected_ids(name, f) for f in meant)) if meant else set()
    assert flagged(template, backend_store, times) == expected


@pytest.mark.parametrize("name", sorted(HAND_BUILT))
def test_it_flags_the_hand_built_events_and_not_the_benign_ones(backend_store, ingest, name):
    events, meant = [], set()
    for n, case in enumerate(HAND_BUILT[name]):
        case = dict(case)
        flag, subresource = case.pop("flag"), case.pop("subresource", None)
        event = audit_event(time=T0 + timedelta(seconds=10 * n), **case)
        if subresource:
            event["objectRef"]["subresource"] = subresource
        events.append(event)
        if flag:
            meant.add(("c1", event["auditID"]))
    report = ingest(events)
    assert report.ingested == len(events)
    template = GlobalAlertTemplate.objects.get(name=name)
    assert flagged(template, backend_store, [T0, T0 + minutes(len(events) / 6)]) == meant


def test_every_template_is_proven_flagged_and_benign():
    proven = {name for name, (meant, _) in REAL.items() if meant} | {
        name for name, cases in HAND_BUILT.items() if any(c["flag"] for c in cases)}
    quiet = {name for name, (_, benign) in REAL.items() if benign} | {
        name for name, cases in HAND_BUILT.items() if not all(c["flag"] for c in cases)}
    names = {d.split("name: ", 1)[1].split()[0] for d in PACK_FILE.read_text().split("---") if "name: k8s." in d}
    assert names == proven == quiet


def test_the_whole_pack_flags_exactly_the_files_meant_to_be_flagged(backend_store, sample_files):
    files = [str(p.relative_to(SHARED_DATA)) for p in sample_files]
    by_cluster = {cluster_of(f): f for f in files}
    assert len(by_cluster) == len(files)
    times = ingest_files([f for f in files if file_events(f)])
    hits: dict[str, set[str]] = defaultdict(set)
    for template in pack_templates():
        for cluster, _ in flagged(template, backend_store, times):
            hits[by_cluster[cluster]].add(template.name)
    assert dict(hits) == FLAGGED_FILES

"""Fixtures for the query-language suites: the real sample events, as dicts and as rows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

SAMPLE_DIR = Path(__file__).resolve().parents[2] / "testdata" / "k8s-audit"


def _documents(path: Path) -> list[Any]:
    text = path.read_text()
    try:
        return [json.loads(text)]  # one pretty-printed document
    except json.JSONDecodeError:
        return [json.loads(line) for line in text.splitlines() if line.strip()]


def load_sample_events() -> list[tuple[str, dict]]:
    """(cluster, event) for every audit event in the samples; the cluster is the source folder.

    Non-events (``fal_01_003.json`` is ``{"kind": 0}``) and repeated identities are skipped.
    """
    from auditui.events.normalize import RejectedRecord, normalize_event

    found: dict[tuple[str, str, str], tuple[str, dict]] = {}
    for path in sorted(SAMPLE_DIR.rglob("*")):
        if path.suffix not in (".json", ".log"):
            continue
        cluster = path.relative_to(SAMPLE_DIR).parts[0]
        for document in _documents(path):
            try:
                record = normalize_event(document, cluster=cluster)
            except RejectedRecord:
                continue
            found.setdefault(record.key, (cluster, document))
    return list(found.values())


@pytest.fixture(scope="session")
def audit_samples() -> list[tuple[str, dict]]:
    return load_sample_events()


@pytest.fixture
def stored_samples(db, audit_samples):
    """The sample events as ``AuditEvent`` rows, built from the normaliser's records."""
    from auditui.events.models import AuditEvent
    from auditui.events.normalize import normalize_event

    fields = [f.name for f in AuditEvent._meta.concrete_fields if f.name not in ("id", "ingested_at")]
    rows = []
    for cluster, event in audit_samples:
        record = normalize_event(event, cluster=cluster)
        rows.append(AuditEvent(**{name: getattr(record, name) for name in fields}))
    return AuditEvent.objects.bulk_create(rows)

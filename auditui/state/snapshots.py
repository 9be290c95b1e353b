"""Snapshots of the state: daily ones rebuilt from events, and ``kubectl get -o json`` imports
taken as the truth at their instant (audit logs miss objects older than the logging)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction

from auditui.access.scope import ViewerScope
from auditui.events.store import get_store
from auditui.state.cluster import SNAPSHOT, ClusterState, Entry, trimmed
from auditui.state.kinds import for_item
from auditui.state.models import StateSnapshot
from auditui.state.rebuild import rebuild


class SnapshotError(ValueError):
    """The file is not ``kubectl get -o json`` output; says why."""


@dataclass
class ImportReport:
    at: datetime
    kinds: Counter = field(default_factory=Counter)  # kind key -> objects imported
    skipped: Counter = field(default_factory=Counter)  # "apiVersion/Kind" not followed -> count


def midnight(moment: datetime) -> datetime:
    return datetime.combine(moment.astimezone(UTC).date(), time(0), tzinfo=UTC)


def _save(state: ClusterState, source: str) -> StateSnapshot:
    assert state.at is not None
    count = sum(1 for _ in state.all_entries())
    snapshot, _created = StateSnapshot.objects.update_or_create(
        cluster=state.cluster, at=state.at, source=source, defaults={"state": state.to_json(), "object_count": count},
    )
    return snapshot


def snapshot_take(*, cluster: str, at: datetime) -> StateSnapshot:
    """Rebuild ``cluster`` just before ``at`` and store it as the daily snapshot at ``at``."""
    return _save(rebuild(cluster, at, inclusive=False), StateSnapshot.DAILY)


def snapshots_take_daily(*, now: datetime) -> list[StateSnapshot]:
    """Today's midnight snapshot of every cluster with events, where it is missing (the beat
    task; running it twice the same day does nothing the second time)."""
    day = midnight(now)
    clusters = get_store().cluster_totals(ViewerScope.all())
    taken = []
    for cluster in sorted(clusters):
        if not StateSnapshot.objects.filter(cluster=cluster, at=day).exists():
            taken.append(snapshot_take(cluster=cluster, at=day))
    return taken


def snapshots_prune(*, now: datetime) -> int:
    """Drop snapshots past the events' retention (``AUDITUI_RETENTION_DAYS``), keeping each
    cluster's newest one before the cut-off: rebuilds just after the cut-off start from it,
    since the events before it are gone. Returns how many went."""
    cutoff = now - timedelta(days=settings.AUDITUI_RETENTION_DAYS)
    deleted = 0
    for cluster in StateSnapshot.objects.filter(at__lt=cutoff).values_list("cluster", flat=True).distinct():
        keep = StateSnapshot.objects.filter(cluster=cluster, at__lt=cutoff).order_by("-at", "-source").first()
        old = StateSnapshot.objects.filter(cluster=cluster, at__lt=cutoff)
        if keep is not None:
            old = old.exclude(pk=keep.pk)
        deleted += old.delete()[0]
    return deleted


def items_of(document: Any) -> list[dict[str, Any]]:
    """The objects of a ``kubectl get -o json`` answer: a List (any mix of kinds), an XList, or
    a single object."""
    if not isinstance(document, dict):
        raise SnapshotError("expected a JSON object: the output of kubectl get … -o json")
    if isinstance(document.get("items"), list):
        return [i for i in document["items"] if isinstance(i, dict)]
    if document.get("kind") and isinstance(document.get("metadata"), dict):
        return [document]
    raise SnapshotError("expected a List with items, or one object with kind and metadata")


def snapshot_import(*, cluster: str, document: Any, at: datetime) -> ImportReport:
    """Take the objects of ``document`` as ``cluster``'s state at ``at``: the kinds it holds
    replace the rebuilt ones, the others stay as the events left them. Later snapshots were
    built without it, so they go (the beat task and rebuilds make them again)."""
    items = items_of(document)
    report = ImportReport(at)
    imported: dict[str, list[Entry]] = {}
    for item in items:
        kind = for_item(str(item.get("apiVersion") or ""), str(item.get("kind") or ""))
        if kind is None:
            report.skipped[f"{item.get('apiVersion')}/{item.get('kind')}"] += 1
            continue
        imported.setdefault(kind.key, []).append(Entry(trimmed(item), SNAPSHOT, at, True))
        report.kinds[kind.key] += 1
    state = rebuild(cluster, at, inclusive=False)
    for key, entries in imported.items():
        state.entries(key).clear()
        for entry in entries:
            state.put(key, entry)
    state.at, state.imported_at = at, at
    with transaction.atomic():
        StateSnapshot.objects.filter(cluster=cluster, at__gt=at).delete()
        _save(state, StateSnapshot.IMPORTED)
    return report

"""A cluster's objects at one instant (pure data: no database, no store), and its JSON form.

Each object remembers where it came from: ``snapshot`` (an imported ``kubectl get -o json``)
or ``events`` (set by an audit event), and whether its content is known: a Metadata-level
create says an object exists but not what it holds.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from auditui.state.kinds import BY_KEY, KINDS

SNAPSHOT = "snapshot"
EVENTS = "events"
# What a snapshot need not keep: bulky and never read by the evaluation.
_DROPPED_ANNOTATIONS = ("kubectl.kubernetes.io/last-applied-configuration",)


@dataclass
class Entry:
    object: dict[str, Any]
    source: str = EVENTS
    since: datetime | None = None  # when it was last set (None: before what we know)
    known: bool = True

    @property
    def metadata(self) -> dict[str, Any]:
        meta = self.object.get("metadata")
        return meta if isinstance(meta, dict) else {}

    @property
    def labels(self) -> dict[str, str]:
        labels = self.metadata.get("labels")
        return {str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) else {}

    @property
    def spec(self) -> dict[str, Any]:
        spec = self.object.get("spec")
        return spec if isinstance(spec, dict) else {}

    @property
    def resource_version(self) -> int | None:
        value = self.metadata.get("resourceVersion")
        return int(value) if isinstance(value, str) and value.isdigit() else None


@dataclass(frozen=True)
class Completeness:
    """How much of the picture is known: objects from an imported snapshot, objects seen only
    through events (older objects that no event touched are missing unless a snapshot was
    imported), and objects whose content the audit level did not record."""

    imported_at: datetime | None
    from_snapshot: int
    from_events: int
    content_unknown: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "importedSnapshotAt": self.imported_at.isoformat() if self.imported_at else None,
            "objectsFromSnapshot": self.from_snapshot, "objectsFromEvents": self.from_events,
            "objectsWithUnknownContent": self.content_unknown,
        }


@dataclass
class ClusterState:
    cluster: str
    at: datetime | None = None
    imported_at: datetime | None = None
    objects: dict[str, dict[tuple[str, str], Entry]] = field(default_factory=lambda: {k.key: {} for k in KINDS})

    def entries(self, kind: str) -> dict[tuple[str, str], Entry]:
        return self.objects[kind]

    def get(self, kind: str, namespace: str, name: str) -> Entry | None:
        return self.objects[kind].get((namespace, name))

    def put(self, kind: str, entry: Entry) -> None:
        meta = entry.metadata
        namespace = str(meta.get("namespace") or "") if BY_KEY[kind].namespaced else ""
        self.objects[kind][(namespace, str(meta.get("name") or ""))] = entry

    def remove(self, kind: str, namespace: str, name: str) -> None:
        self.objects[kind].pop((namespace, name), None)

    def remove_namespace(self, namespace: str) -> None:
        """A namespace's deletion takes every object in it along (Calico's replayer does too)."""
        for kind in KINDS:
            if kind.namespaced:
                for key in [k for k in self.objects[kind.key] if k[0] == namespace]:
                    del self.objects[kind.key][key]

    def all_entries(self) -> Iterator[tuple[str, Entry]]:
        for kind, entries in self.objects.items():
            for entry in entries.values():
                yield kind, entry

    def completeness(self) -> Completeness:
        entries = [entry for _kind, entry in self.all_entries()]
        return Completeness(
            self.imported_at,
            sum(1 for e in entries if e.source == SNAPSHOT),
            sum(1 for e in entries if e.source == EVENTS),
            sum(1 for e in entries if not e.known),
        )

    # --- JSON ------------------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "cluster": self.cluster,
            "at": _iso(self.at),
            "importedAt": _iso(self.imported_at),
            "objects": {
                kind: [_entry_json(e) for _key, e in sorted(entries.items())]
                for kind, entries in self.objects.items() if entries
            },
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ClusterState:
        state = cls(data["cluster"], _parse(data.get("at")), _parse(data.get("importedAt")))
        for kind, items in (data.get("objects") or {}).items():
            if kind in BY_KEY:
                for item in items:
                    state.put(kind, Entry(item["object"], item.get("source", EVENTS), _parse(item.get("since")),
                                          item.get("known", True)))
        return state


def trimmed(obj: dict[str, Any]) -> dict[str, Any]:
    """The object without what no evaluation reads (managed fields, kubectl's last-applied copy)."""
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        return obj
    meta = {k: v for k, v in meta.items() if k != "managedFields"}
    annotations = meta.get("annotations")
    if isinstance(annotations, dict):
        meta["annotations"] = {k: v for k, v in annotations.items() if k not in _DROPPED_ANNOTATIONS}
    return {**obj, "metadata": meta}


def _entry_json(entry: Entry) -> dict[str, Any]:
    return {"object": entry.object, "source": entry.source, "since": _iso(entry.since), "known": entry.known}


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _parse(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None

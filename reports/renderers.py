"""Report data → files, with Calico's names and columns (reference §3.5). Pure: no store, no
database; ``generate`` hands them what ``collect`` read.

Each renderer returns the report's UI summary (what the compliance page's widgets and the list
API show) and its files by download format (``summary.csv``, ``events.json``, …)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from django.template.loader import render_to_string

from reports import block_yaml
from reports.builtin_types import LEADING_COLUMNS
from reports.models import rfc3339

MAX_FAILED_LISTED = 100


@dataclass(frozen=True)
class Interval:
    """What every report's leading columns say: the interval and the report's endpoints selection."""

    name: str
    type_name: str
    start: datetime
    end: datetime
    spec: dict[str, Any]

    def leading(self) -> list[str]:
        endpoints = self.spec.get("endpoints") or {}
        namespaces = endpoints.get("namespaces") or {}
        accounts = endpoints.get("serviceAccounts") or {}
        return [rfc3339(self.start), rfc3339(self.end), endpoints.get("selector", ""),
                ";".join(namespaces.get("names", [])), namespaces.get("selector", ""),
                ";".join(accounts.get("names", [])), accounts.get("selector", "")]


def _csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _json(value: Any) -> bytes:
    try:  # orjson: ten times json's speed on a month of events
        return orjson.dumps(value, option=orjson.OPT_INDENT_2)
    except (TypeError, orjson.JSONEncodeError):  # an integer beyond 64 bits, a nesting too deep for it
        return json.dumps(value, indent=2, ensure_ascii=False, default=str).encode("utf-8")


def _yaml(value: Any) -> bytes:
    return block_yaml.dumps(value).encode("utf-8")


def _successful(event: dict[str, Any]) -> bool:
    code = (event.get("responseStatus") or {}).get("code")
    return isinstance(code, int) and 200 <= code < 300


def policy_audit_counts(events: Sequence[dict[str, Any]]) -> dict[str, int]:
    """Calico's counts, of successful changes only: create, update/patch, delete."""
    done = [e for e in events if _successful(e)]
    return {
        "numCreatedPolicies": sum(e.get("verb") == "create" for e in done),
        "numModifiedPolicies": sum(e.get("verb") in ("update", "patch") for e in done),
        "numDeletedPolicies": sum(e.get("verb") == "delete" for e in done),
        "numTotal": len(events),
        "numFailed": len(events) - len(done),
    }


def _failed_attempt(entry: dict[str, Any]) -> dict[str, Any]:
    event = entry["event"]
    ref = event.get("objectRef") or {}
    status = event.get("responseStatus") or {}
    return {"cluster": entry["cluster"], "time": event.get("requestReceivedTimestamp", ""),
            "user": (event.get("user") or {}).get("username", ""), "verb": event.get("verb", ""),
            "resource": ref.get("resource", ""), "namespace": ref.get("namespace", ""), "name": ref.get("name", ""),
            "code": status.get("code"), "message": str(status.get("message", ""))[:300]}


def policy_audit(interval: Interval, entries: Sequence[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, bytes]]:
    """``entries``: ``{"cluster", "namespace", "event"}``, oldest first."""
    events = [entry["event"] for entry in entries]
    counts = policy_audit_counts(events)
    failed = [_failed_attempt(entry) for entry in entries if not _successful(entry["event"])]
    summary = {"title": "Network Policy Configuration Changes", **counts,
               "failedAttempts": failed[:MAX_FAILED_LISTED]}
    row = [*interval.leading(), counts["numCreatedPolicies"], counts["numModifiedPolicies"],
           counts["numDeletedPolicies"]]
    files = {
        "summary.csv": _csv([*LEADING_COLUMNS, "numCreatedPolicies", "numModifiedPolicies", "numDeletedPolicies"],
                            [row]),
        "events.json": _json(events),
        "events.yaml": _yaml(events),
    }
    return summary, files


ACTIVITY_COLUMNS = (
    "numEvents", "numPodsCreated", "numPodsDeleted", "numNamespacesCreated", "numNamespacesDeleted",
    "numPolicyChanges", "numForbidden", "numExecSessions", "numServiceAccountsCreated", "numRbacBindingChanges",
)


def activity_summary(interval: Interval, data: dict[str, Any], *, base_url: str = "") -> tuple[dict[str, Any],
                                                                                                dict[str, bytes]]:
    """``data``: ``{"counts", "tables": [{"title", "columns", "rows"}], "policy_changes", "sections"}``."""
    counts = data["counts"]
    summary = {"title": "Cluster activity", **counts}
    html = render_to_string("reports/activity_summary.html", {
        "interval": interval, "counts": counts, "tables": data["tables"], "base_url": base_url,
        "policy_changes": [{**change, "path": policy_path(change)} for change in data["policy_changes"]],
        "sections": data.get("sections", []),
    })
    files = {
        "summary.csv": _csv([*LEADING_COLUMNS, *ACTIVITY_COLUMNS],
                            [[*interval.leading(), *(counts.get(c, 0) for c in ACTIVITY_COLUMNS)]]),
        "summary.html": html.encode("utf-8"),
    }
    return summary, files


def policy_path(change: dict[str, Any]) -> str:
    """The policy's history page (the changelog's URL shape: ``/policies/{resource.group}/{ns or -}/{name}/``)."""
    kind = f"{change['resource']}.{change['apiGroup']}" if change.get("apiGroup") else change["resource"]
    return f"/policies/{kind}/{change.get('namespace') or '-'}/{change['name']}/"


def download_name(type_name: str, name: str, start: datetime, end: datetime, fmt: str) -> str:
    """Calico's file name of one download: ``<type>_<name>_<start>-<end>-<format>``."""
    return f"{type_name}_{name}_{rfc3339(start)}-{rfc3339(end)}-{fmt}"

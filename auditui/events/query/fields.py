"""Where a query key is found: an indexed column of ``AuditEvent`` or a path into the raw event.

The matcher reads indexed keys from the same normalised record the store writes
(``auditui.events.normalize``), so Python and SQL see identical values for them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from auditui.events.fields import BY_KEY
from auditui.events.fields import FieldKind as ColumnKind
from auditui.events.normalize import RejectedRecord, normalize_event

from .paths import is_wildcard_key, wildcard_values


@dataclass(frozen=True)
class Column:
    """An indexed column; ``kind`` decides how values compare and what EMPTY means."""

    name: str
    kind: ColumnKind


# Every query key (aliases too) of an indexed field, from the one registry.
COLUMNS: dict[str, Column] = {key: Column(f.column, f.kind) for key, f in BY_KEY.items()}
_TEXT_COLUMNS = {key: f.column for key, f in BY_KEY.items() if f.kind == "text"}

# Calico lower-cases values for these keys (Kubernetes names are lower-case DNS labels).
LOWERCASE_KEYS = frozenset({"objectRef.name", "objectRef.namespace", "name"})

# What a free-text term searches.
TEXT_SEARCH_COLUMNS = ("username", "namespace", "name", "resource", "verb", "request_uri", "user_agent")


def column_for(key: str) -> Column | None:
    """The indexed column behind a key, or None for a path into the raw event."""
    return COLUMNS.get(key)


def store_field(key: str) -> str | None:
    """The store's name for a query key (``objectRef.namespace`` -> ``namespace``), as
    ``EventQuery.filters``, ``group_by`` and records use it; None when the key is not indexed."""
    column = column_for(key)
    return column.name if column else None


def is_time_key(key: str) -> bool:
    column = column_for(key)
    return column is not None and column.kind == "time"


def value_for_key(key: str, text: str) -> str:
    return text.lower() if key in LOWERCASE_KEYS else text


def raw_values(event: Any, key: str) -> Iterator[Any]:
    """The values at a dotted path, looking through lists (every element is a candidate).

    A dict key may itself contain dots (``annotations.authorization.k8s.io/decision``):
    every way of splitting the path into existing keys is followed, so the longest matching
    key is always found. The SQL compiler walks the document the same way. A key with ``*``
    segments is walked by ``paths.wildcard_values``.
    """
    if is_wildcard_key(key):
        yield from wildcard_values(event, key)
        return
    target = "." + key
    stack: list[tuple[str, Any]] = [("", event)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, list):
            stack.extend((path, item) for item in value)
            continue
        if path == target:
            yield value
        elif isinstance(value, dict):
            for name, child in value.items():
                child_path = f"{path}.{name}"
                if child_path == target or target.startswith(child_path + "."):
                    stack.append((child_path, child))


def is_nonempty(value: Any) -> bool:
    """EMPTY is true when no value at the key passes this test."""
    return value is not None and value != "" and not isinstance(value, list)


def record_columns(event: Any, cluster: str) -> dict[str, Any]:
    """The indexed column values of an event, as the store would write them."""
    try:
        record = normalize_event(event, cluster=cluster)
    except RejectedRecord:
        # Never stored, so there is no SQL side to agree with: read what can be read.
        return _lenient_columns(event, cluster)
    return columns_of_record(record)


def columns_of_record(record: Any) -> dict[str, Any]:
    names = {column.name for column in COLUMNS.values()}
    return {name: getattr(record, name) for name in names}


def _lenient_columns(event: Any, cluster: str) -> dict[str, Any]:
    event = event if isinstance(event, dict) else {}
    # An event that was never stored has no provenance; its own "source" key is not one.
    columns: dict[str, Any] = {"cluster": cluster, "source": "", "time": None, "stage_time": None,
                               "response_code": None}
    for key, name in _TEXT_COLUMNS.items():
        if name != "cluster":
            found = next((v for v in raw_values(event, key) if isinstance(v, str)), "")
            columns.setdefault(name, found)
    columns["user_groups"] = [v for v in raw_values(event, "user.groups") if isinstance(v, str)]
    columns["source_ips"] = [v for v in raw_values(event, "sourceIPs") if isinstance(v, str)]
    for key in ("requestReceivedTimestamp", "stageTimestamp", "timestamp"):
        columns["time"] = columns["time"] or _lenient_time(event.get(key))
    columns["stage_time"] = _lenient_time(event.get("stageTimestamp"))
    return columns


def _lenient_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)

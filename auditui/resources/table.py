"""``get`` without ``-o``: kubectl's table (NAME, AGE), ages as kubectl writes them (5d, 3h12m)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def age(created: str | None, now: datetime) -> str:
    if not created:
        return "<unknown>"
    try:
        moment = datetime.fromisoformat(created.replace("Z", "+00:00"))
    except ValueError:
        return "<unknown>"
    seconds = max(int((now - moment).total_seconds()), 0)
    if seconds < 120:
        return f"{seconds}s"
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if minutes < 10:
        return f"{minutes}m{seconds % 60}s"
    if hours < 3:
        return f"{minutes}m" if hours == 0 else f"{hours}h{minutes % 60}m"
    if days < 2:
        return f"{hours}h"
    return f"{days}d" if days < 365 else f"{days // 365}y{days % 365}d"


def table(documents: list[dict[str, Any]], now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    rows = [("NAME", "AGE")]
    for document in documents:
        metadata = document.get("metadata") or {}
        rows.append((str(metadata.get("name", "")), age(metadata.get("creationTimestamp"), now)))
    width = max(len(name) for name, _ in rows) + 3
    return "".join(f"{name:<{width}}{when}\n" for name, when in rows)

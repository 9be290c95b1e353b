"""How a search-engine store names its indices (``<prefix>-<cluster>-YYYY.MM.DD``), and the list
of those that exist, kept briefly (a read with no end can name the days it needs from it)."""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Collection
from datetime import UTC, date, datetime, timedelta

_UNSAFE = re.compile(r"[^a-z0-9_.-]")
_INDEX_DAY = re.compile(r"-(\d{4})\.(\d{2})\.(\d{2})$")
DAY_SUFFIX = len("-YYYY.MM.DD")


def safe_cluster(cluster: str) -> str:
    """The cluster as a part of an index name; unchanged only when it already was a safe one."""
    safe = _UNSAFE.sub("_", cluster.lower())[:100].lstrip("_.-+") or "_"
    if safe != cluster:
        safe += "-" + hashlib.blake2b(cluster.encode(), digest_size=4).hexdigest()
    return safe


def daily_index(prefix: str, cluster: str, day: date) -> str:
    """The index of a cluster's day (``cluster`` as ``safe_cluster`` gives it, or ``*``)."""
    return f"{prefix}-{cluster}-{day:%Y.%m.%d}"


def index_cluster(prefix: str, name: str) -> str:
    """The cluster part of a daily index's name."""
    return name[len(prefix) + 1:-DAY_SUFFIX]


def no_index(prefix: str, cluster: str = "none") -> str:
    """A pattern no index of the prefix matches (a day long before any event), for a read that
    needs none: an empty target would mean every index."""
    return daily_index(prefix, cluster, date(1970, 1, 1)) + "*"


def day_bounds(start: datetime | None, end: datetime | None) -> tuple[date | None, date | None]:
    """The first and last UTC day of [start, end) (None for an open side)."""
    first = start.astimezone(UTC).date() if start else None
    last = (end.astimezone(UTC) - timedelta(microseconds=1)).date() if end else None
    return first, last


def is_unsafe_prefix(prefix: str) -> bool:
    return not prefix or prefix != prefix.lower() or bool(_UNSAFE.search(prefix)) or prefix[0] in "_.-+"


def index_day(name: str) -> date | None:
    match = _INDEX_DAY.search(name)
    if not match:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


class IndexList:
    """The names of a prefix's daily indices, read at most every ``SECONDS`` (another process's
    new day shows within that, as its events show within the refresh interval); this process
    forgets the list as soon as it writes to an index it has not named before."""

    SECONDS = 5.0

    def __init__(self, prefix: str, read: Callable[[], list[str]]) -> None:
        self.prefix = prefix
        self._read = read
        self._names: list[str] = []
        self._until = 0.0

    def forget(self) -> None:
        self._until = 0.0

    def since(self, first: date, clusters: Collection[str] = ()) -> list[str]:
        """The indices of days from ``first`` on (future days included), of these clusters (their
        index names) or of all."""
        now = time.monotonic()
        if now >= self._until:
            self._names, self._until = self._read(), now + self.SECONDS
        picked = []
        for name in self._names:
            day = index_day(name)
            if day is None or day < first:
                continue
            if clusters and index_cluster(self.prefix, name) not in clusters:
                continue
            picked.append(name)
        return sorted(picked)

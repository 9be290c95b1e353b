"""How a search-engine store names its indices, one per cluster and day (``<prefix>-<cluster>-
YYYY.MM.DD``, the default) or per cluster and month (``<prefix>-<cluster>-YYYY.MM``, the
``index_period=month`` option of ``EVENT_STORE_URL``), and the list of those that exist, kept
briefly (a read with no end can name the indices it needs from it).

A monthly store's read patterns (``<prefix>-<cluster>-YYYY.MM*``) also match the daily indices
of that month, so a store switched from days to months keeps finding what it wrote before."""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

PERIODS = ("day", "month")
_UNSAFE = re.compile(r"[^a-z0-9_.-]")
_INDEX_PERIOD = re.compile(r"-(\d{4})\.(\d{2})(?:\.(\d{2}))?$")


def safe_cluster(cluster: str) -> str:
    """The cluster as a part of an index name; unchanged only when it already was a safe one."""
    safe = _UNSAFE.sub("_", cluster.lower())[:100].lstrip("_.-+") or "_"
    if safe != cluster:
        safe += "-" + hashlib.blake2b(cluster.encode(), digest_size=4).hexdigest()
    return safe


def day_bounds(start: datetime | None, end: datetime | None) -> tuple[date | None, date | None]:
    """The first and last UTC day of [start, end) (None for an open side)."""
    first = start.astimezone(UTC).date() if start else None
    last = (end.astimezone(UTC) - timedelta(microseconds=1)).date() if end else None
    return first, last


def is_unsafe_prefix(prefix: str) -> bool:
    return not prefix or prefix != prefix.lower() or bool(_UNSAFE.search(prefix)) or prefix[0] in "_.-+"


def _month_end(first: date) -> date:
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return following - timedelta(days=1)


def index_span(name: str) -> tuple[date, date] | None:
    """The first and last day an index's name says it holds (a day, or a month); None for a
    name that is neither."""
    match = _INDEX_PERIOD.search(name)
    if not match:
        return None
    try:
        first = date(int(match[1]), int(match[2]), int(match[3] or 1))
    except ValueError:
        return None
    return (first, first) if match[3] else (first, _month_end(first))


def index_cluster(prefix: str, name: str) -> str:
    """The cluster part of an index's name (daily or monthly)."""
    match = _INDEX_PERIOD.search(name)
    return name[len(prefix) + 1:match.start()] if match else ""


@dataclass(frozen=True)
class Layout:
    """The names of one prefix's indices, by day or by month."""

    prefix: str
    period: str = "day"

    def __post_init__(self) -> None:
        if self.period not in PERIODS:
            raise ValueError(f"index_period {self.period!r}: day or month")

    def index(self, cluster: str, day: date) -> str:
        """The index that holds a cluster's events of ``day`` (``cluster`` as ``safe_cluster``
        gives it, or ``*``)."""
        if self.period == "month":
            return f"{self.prefix}-{cluster}-{day:%Y.%m}"
        return f"{self.prefix}-{cluster}-{day:%Y.%m.%d}"

    def pattern(self, cluster: str, day: date) -> str:
        """What reads of ``day`` name: its index, with a trailing * so that a missing one is not
        an error (and, by month, the daily indices of that month too)."""
        return self.index(cluster, day) + "*"

    def patterns(self, clusters: Iterable[str], days: Iterable[date]) -> list[str]:
        """The patterns of these clusters' days, each once, in order (days of one month share one)."""
        days = list(days)
        return list(dict.fromkeys(self.pattern(cluster, day) for cluster in clusters for day in days))

    def month_pattern(self, cluster: str, day: date) -> str:
        """Every index of a cluster's month, whatever its period."""
        return f"{self.prefix}-{cluster}-{day:%Y.%m}*"

    def periods(self, first: date, last: date, limit: int) -> list[date] | None:
        """A day of each index period from ``first`` to ``last``; None when there are more than ``limit``."""
        if self.period == "month":
            months = (last.year - first.year) * 12 + last.month - first.month + 1
            if months > limit:
                return None
            return [date(first.year + (first.month - 1 + n) // 12, (first.month - 1 + n) % 12 + 1, 1)
                    for n in range(months)]
        count = (last - first).days + 1
        if count > limit:
            return None
        return [first + timedelta(days=n) for n in range(count)]

    def unreadable(self, names: Iterable[str]) -> str | None:
        """An index of this prefix that reads by this layout would miss, if any: a monthly one
        when reading by day (a store switched back from months, or another installation whose
        prefix extends this one)."""
        if self.period != "day":
            return None
        return next((name for name in names if (span := index_span(name)) and span[0] != span[1]), None)

    def no_index(self, cluster: str = "none") -> str:
        """A pattern no index of the prefix matches (a day long before any event), for a read
        that needs none: an empty target would mean every index."""
        return f"{self.prefix}-{cluster}-1970.01.01*"


class IndexList:
    """The names of a prefix's indices, read at most every ``SECONDS`` (another process's new
    day shows within that, as its events show within the refresh interval); this process
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
        """The indices holding days from ``first`` on (future days included), of these clusters
        (their index names) or of all."""
        now = time.monotonic()
        if now >= self._until:
            self._names, self._until = self._read(), now + self.SECONDS
        picked = []
        for name in self._names:
            span = index_span(name)
            if span is None or span[1] < first:
                continue
            if clusters and index_cluster(self.prefix, name) not in clusters:
                continue
            picked.append(name)
        return sorted(picked)

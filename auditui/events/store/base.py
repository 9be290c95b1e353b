"""The EventStore interface: everything above the store (search, changelog, alerts, reports)
talks only to this. Backends: ``sql`` (Django ORM; SQLite or PostgreSQL) and the search engines
(OpenSearch, Elasticsearch; ``search_engine.py``), chosen by ``EVENT_STORE_URL``.

Every read takes an ``EventQuery`` whose ``scope`` is mandatory: there is no way to read events
without saying whose view it is (see ``auditui.access.scope``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from auditui.access.scope import ViewerScope

# The indexed fields a caller may filter exactly on, group by, or aggregate over.
from auditui.events.fields import GROUPABLE_FIELDS, LIST_FIELDS, NUMERIC_FIELDS
from auditui.events.normalize import AuditRecord
from auditui.events.object_summary import ObjectSummary

# How far back ``newest_first`` looks, step by step: the newest events are nearly always recent,
# and a search engine asked for the newest events of all time sorts every daily index (a year of
# them takes seconds) even when the answer is in today's.
NEWEST_LOOKBACK = (timedelta(days=1), timedelta(days=7), timedelta(days=31), None)
METRICS = ("count", "avg", "min", "max", "sum")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def micros(moment: datetime) -> int:
    """Microseconds since the epoch, exactly (no float rounding): event times have microseconds."""
    return (moment - _EPOCH) // _MICROSECOND


def from_micros(value: int) -> datetime:
    return _EPOCH + timedelta(microseconds=value)


class StoreError(Exception):
    """A request the store cannot serve (bad field, unsupported operation); says why."""


class StoreUnavailable(Exception):
    """The store could not read or write just now: unreachable, timed out, overloaded, out of
    room, or it refused auditui's credentials. Says why (never with credentials); unlike a
    ``StoreError`` the same request may work later (pages and the API answer 503)."""


@dataclass(frozen=True)
class EventQuery:
    """What to read: whose view, which time range (start inclusive, end exclusive), which events."""

    scope: ViewerScope
    start: datetime | None = None
    end: datetime | None = None
    clusters: tuple[str, ...] = ()
    query: Any = None  # a parsed query-language AST (auditui.events.query), or None for all
    filters: Mapping[str, Any] = field(default_factory=dict)  # indexed field -> exact value

    def __post_init__(self) -> None:
        unknown = set(self.filters) - set(GROUPABLE_FIELDS) - set(LIST_FIELDS) - {"audit_id", "uid"}
        if unknown:
            raise StoreError(f"cannot filter on {', '.join(sorted(unknown))}")
        if self.start and self.end and self.start >= self.end:
            raise StoreError("start must be before end")


@dataclass(frozen=True)
class WriteResult:
    ingested: int = 0
    duplicates: int = 0
    # Records the store refused one by one (a value it cannot hold): (index in the records
    # written, reason). The rest of the write went in; ingested + duplicates + rejected = written.
    rejected: tuple[tuple[int, str], ...] = ()
    # What ``make_searchable`` needs to make this write searchable (a search engine's indices).
    written: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Page:
    records: list[AuditRecord]
    next_cursor: str | None


@dataclass(frozen=True)
class GroupCount:
    keys: tuple[Any, ...]
    count: int
    value: float | None = None  # the metric, when one other than count was asked for


@dataclass(frozen=True)
class Bucket:
    start: datetime
    count: int


@dataclass(frozen=True)
class PageView:
    """What the events page shows of one query: a page of records, the histogram of every match,
    and the newest matches with their indexed fields only (the field sidebar counts in them)."""

    page: Page
    buckets: list[Bucket]
    sample: list[AuditRecord]

    @property
    def total(self) -> int:
        """Every match: the histogram covers exactly [q.start, q.end)."""
        return sum(bucket.count for bucket in self.buckets)


@dataclass(frozen=True)
class ObjectRef:
    """One Kubernetes object in one cluster; namespace "" for cluster-scoped kinds."""

    cluster: str
    resource: str
    name: str
    namespace: str = ""
    api_group: str | None = None  # None: any group (the bare resource name was unambiguous)


@dataclass(frozen=True)
class ObjectActivity:
    """One object among the events a query matched: how many of them, and the newest."""

    ref: ObjectRef  # api_group always set
    count: int
    last: AuditRecord


def check_aggregation(group_by: Sequence[str], metric: str, field: str | None) -> None:
    """Refuse a grouping or metric no backend serves (every backend calls this first)."""
    if len(group_by) == 1 and group_by[0] in LIST_FIELDS and metric == "count":
        return
    unknown = [f for f in group_by if f not in GROUPABLE_FIELDS]
    if unknown:
        raise StoreError(f"cannot group by {', '.join(unknown)}")
    if metric not in METRICS:
        raise StoreError(f"unknown metric {metric!r}; use one of {', '.join(METRICS)}")
    if metric != "count" and field not in NUMERIC_FIELDS:
        raise StoreError(f"metric {metric} needs a numeric field ({', '.join(NUMERIC_FIELDS)})")


def _nothing() -> None:
    return None


class EventStore(ABC):
    """Backends implement these; tests in tests/events/test_store.py run against each."""

    # How many records ingest hands to ``write`` at once, unless AUDITUI_INGEST_BATCH_SIZE says.
    write_batch_size = 1000

    @abstractmethod
    def write(self, records: Sequence[AuditRecord]) -> WriteResult:
        """Store records; those already stored (same cluster, auditID, stage) count as duplicates.

        A record the store refuses is rejected alone (``WriteResult.rejected``), never with the
        records written beside it; ``StoreUnavailable`` when the store cannot take any."""

    @contextmanager
    def bulk_writing(self) -> Iterator[Callable[[], None]]:
        """Around many writes in a row (a file's ingest); yields what to call after each write.
        SQLite checkpoints its log on a thread meanwhile (``sqlite_checkpoints``); others do nothing."""
        yield _nothing

    def make_searchable(self, written: Iterable[str]) -> None:  # noqa: B027 - SQL is searchable on commit
        """Make what earlier writes stored (their ``WriteResult.written``) findable by searches
        now: a search engine refreshes those indices. Called once at the end of an ingest that
        reports its counts (the command, an upload, a pull run), not per write."""

    @abstractmethod
    def search(
        self, q: EventQuery, *, page_size: int = 50, cursor: str | None = None, columns_only: bool = False
    ) -> Page:
        """Matching records, newest first; ``next_cursor`` continues after the last one.

        ``columns_only``: records without their raw event (``raw`` is ``{}``), for readers of
        the indexed fields alone; reading and decoding every raw event is most of a big page."""

    def newest_first(self, q: EventQuery, *, anchor: datetime, page_size: int = 50) -> Iterator[AuditRecord]:
        """Every record ``q`` matches, newest first, read a page at a time as the caller goes on:
        first those after ``anchor`` minus a day (up to ``q.end``, or without end), then back
        from ``anchor`` to a week, a month, and the rest. ``q`` must not have a start."""
        if q.start is not None:
            raise StoreError("newest_first reads back from its anchor: the query must not have a start")
        newer = q.end
        for lookback in NEWEST_LOOKBACK:
            older = anchor - lookback if lookback is not None else None
            if newer is not None and older is not None and older >= newer:
                continue  # anchor beyond q.end: this step is empty
            window = replace(q, start=older, end=newer)
            cursor = None
            try:
                while True:
                    page = self.search(window, page_size=page_size, cursor=cursor)
                    cursor = page.next_cursor  # before yielding: what to release if the caller stops
                    yield from page.records
                    if not cursor:
                        break
            finally:
                if cursor:  # the caller stopped reading before the end
                    self.release_cursor(cursor)
            newer = older

    def every_record(self, q: EventQuery, *, page_size: int = 1000) -> Iterator[AuditRecord]:
        """Every record ``q`` matches, newest first, read a page at a time as the caller goes on
        (what a cursor holds is released if the caller stops early)."""
        cursor = None
        try:
            while True:
                page = self.search(q, page_size=page_size, cursor=cursor)
                cursor = page.next_cursor  # before yielding: what to release if the caller stops
                yield from page.records
                if not cursor:
                    break
        finally:
            if cursor:
                self.release_cursor(cursor)

    def release_cursor(self, cursor: str) -> None:  # noqa: B027 - most stores hold nothing
        """Free what a cursor holds on to when no one will read on (a search engine's point in
        time, which would otherwise stay open until it expires)."""

    @abstractmethod
    def count(self, q: EventQuery) -> int: ...

    @abstractmethod
    def aggregate(
        self, q: EventQuery, *, group_by: Sequence[str], metric: str = "count",
        field: str | None = None, limit: int | None = 10,
    ) -> list[GroupCount]:
        """Group matching events by indexed fields; biggest groups (by count) first."""

    @abstractmethod
    def histogram(self, q: EventQuery, *, interval: timedelta) -> list[Bucket]:
        """Counts per time bucket over [q.start, q.end), empty buckets included."""

    def page_view(
        self, q: EventQuery, *, interval: timedelta, page_size: int = 50, cursor: str | None = None,
        sample_size: int = 0,
    ) -> PageView:
        """One page of ``search`` (after ``cursor``), the ``histogram`` over [q.start, q.end), and
        the newest ``sample_size`` matches read with ``columns_only`` (whatever the cursor): the
        answers of those three reads, which a backend may give from one pass over the matches."""
        page = self.search(q, page_size=page_size, cursor=cursor)
        buckets = self.histogram(q, interval=interval)
        sample = self.search(q, page_size=sample_size, columns_only=True).records if sample_size else []
        return PageView(page=page, buckets=buckets, sample=sample)

    @abstractmethod
    def history(self, q: EventQuery, obj: ObjectRef) -> list[AuditRecord]:
        """Every event about one object (any verb, any outcome), oldest first."""

    @abstractmethod
    def get(self, scope: ViewerScope, event_id: int | str) -> AuditRecord | None: ...

    @abstractmethod
    def purge(self, *, before: datetime) -> int:
        """Delete events older than ``before``; returns how many went."""

    def cluster_totals(self, scope: ViewerScope) -> dict[str, int]:
        """How many events of each cluster ``scope`` sees, all time (clusters without any left out)."""
        groups = self.aggregate(EventQuery(scope=scope), group_by=["cluster"], limit=None)
        return {group.keys[0]: group.count for group in groups if group.count}

    def index_objects(self, progress: Callable[[int], None] | None = None, *, rebuild: bool = False) -> int:
        """Bring the store's own indexes of objects up to date with the events it holds (a
        search engine's object-days index, after an upgrade; the SQL per-object summary of a
        kind followed since); how many entries that wrote (``progress`` hears the count so far
        as it goes). ``rebuild``: the per-object summary of every followed kind from scratch."""
        return 0

    def object_summaries(
        self, scope: ViewerScope, *, kinds: Sequence[tuple[str, str]], clusters: Sequence[str] = (),
        namespace: str = "", limit: int | None = 1000,
    ) -> list[ObjectSummary] | None:
        """Every object of these kinds the scope sees, as the per-object summary has it
        (``auditui.events.object_summary``): newest last change first, at most ``limit``. None
        when this store does not keep the summary of all these kinds: read the events then."""
        return None

    @abstractmethod
    def object_activity(
        self, q: EventQuery, *, kinds: Sequence[tuple[str, str]], limit: int | None = 1000
    ) -> list[ObjectActivity]:
        """The objects of these kinds, ``(api_group, resource)`` pairs, that matching events are
        about: one entry per (cluster, api_group, resource, namespace, name) with the number of
        matching events and the newest of them (latest ``time``; on a tie, the one stored last).
        Most recently active first, at most ``limit``. Events without an object name (lists,
        collections) are left out. A search engine answers it with one terms/composite
        aggregation over those five keys, a ``max`` of time and a ``top_hits`` of size 1.
        """


def bucket_starts(start: datetime, end: datetime, interval: timedelta) -> list[datetime]:
    """Bucket boundaries aligned on multiples of the interval since the epoch (stable across calls)."""
    step = int(interval.total_seconds())
    if step <= 0:
        raise StoreError("interval must be positive")
    first = int(start.timestamp()) // step * step
    # The last bucket is the one holding the end's last microsecond (10:00:00.3 needs the
    # bucket from 10:00, which whole seconds would leave out).
    last_us = micros(end) - first * 1_000_000 - 1
    count = last_us // (step * 1_000_000) + 1 if last_us >= 0 else 0
    if count > 10_000:
        raise StoreError(f"{count} buckets is too many; choose a larger interval")
    origin = datetime.fromtimestamp(first, tz=start.tzinfo)
    return [origin + timedelta(seconds=step * i) for i in range(count)]

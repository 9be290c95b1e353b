"""What the OpenSearch and Elasticsearch event stores share: index layout, the store logic (and,
in ``bodies.py``, the request bodies). A backend (``opensearch.py``, ``elasticsearch.py``) only
says how to send them: its ``Transport`` (``transport.py``), which the object-days index uses too.

Layout. One index per cluster and UTC day, ``<prefix>-<cluster>-YYYY.MM.DD`` (the cluster name
lower-cased, characters an index name cannot hold replaced, and then a hash of the real name so
that two clusters never share an index), or per cluster and month with ``index_period=month``
(``<prefix>-<cluster>-YYYY.MM``, ``layout.py``), created on first write from the index template
``<prefix>`` (mappings in ``engine_mapping.MAPPINGS``). Reads go to ``<prefix>-*``, or to the days (months)
of the query's time range when it names few, or to the days its object has events on when it
names one object (``object_days.py``: the index ``<prefix>.objects``, written with the events).

Identity. The document id is a hash of (cluster, auditID, stage), written with ``op_type=create``:
the engine answers 409 for an event it already has, which counts as a duplicate. An item the
engine refuses for its content (``bulk.RECORD_ERRORS``) is that record's rejection; any other
failed item raises ``SearchEngineError`` after the batch (the items that went in stay in, and
a retry counts them as duplicates).

Refresh. Writes pass ``refresh`` from ``AUDITUI_INDEX_REFRESH`` (default ``false``: searchable
within the refresh interval; tests use ``true``); ``make_searchable`` refreshes the indices an
ingest wrote, once at its end.

Paging. Results are sorted on ``time_us`` (microseconds) descending, then ``seq`` (the order of
storing), then ``event_id``, which is unique, so ``search_after`` alone never repeats or skips an
event. The cursor holds those sort values and, from the second page on, a point-in-time id:
paging then reads one snapshot.
A point in time is opened only when someone asks for a second page (so a busy search page does
not keep hundreds open), kept alive ``PIT_KEEP_ALIVE`` between pages, closed on the last page,
and forgotten (falling back to a plain ``search_after``) when it expired or could not be opened.

Retention. ``purge`` deletes whole indices whose days are all before the cut-off day and uses
``_delete_by_query`` for the index the cut-off falls in (its day, or its month).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from functools import cached_property

from auditui.access.scope import ViewerScope
from auditui.events.normalize import AuditRecord
from auditui.events.object_summary import ObjectSummary, followed_kinds
from auditui.events.store import dsl, engine_document, engine_mapping, engine_summary, object_days
from auditui.events.store.base import (
    Bucket,
    EventQuery,
    EventStore,
    GroupCount,
    ObjectActivity,
    ObjectRef,
    Page,
    StoreError,
    StoreUnavailable,
    WriteResult,
    bucket_starts,
    check_aggregation,
)
from auditui.events.store.bodies import (
    ACTIVITY_PAGE,
    COLUMNS_SOURCE,
    COMPOSITE_PAGE,
    HISTORY_SORT,
    HIT_SOURCE,
    OBJECT_KEYS,
    activity_body,
    after_sort_values,
    composite_body,
    count_body,
    histogram_body,
    search_body,
    template_body,
    time_floor_body,
)
from auditui.events.store.bulk import (
    BULK_CHUNK,
    BULKS_IN_FLIGHT,
    BulkChunk,
    BulkOutcome,
    advice,
    bulk_chunk,
    refresh_targets,
)
from auditui.events.store.engine_cursor import SORT_VALUES, decode_cursor, encode_cursor
from auditui.events.store.layout import (
    IndexList,
    Layout,
    day_bounds,
    index_cluster,
    index_span,
    is_unsafe_prefix,
    safe_cluster,
)
from auditui.events.store.transport import PitGone, SearchEngineError, Transport

HISTORY_PAGE = 1000
# A point-in-time id grows with the shards it covers; past this it is not put in a cursor.
MAX_PIT_ID = 2048
# Up to this many index periods (days, or months), or cluster-periods, reads name their indices;
# beyond, a coarser pattern.
MAX_INDEX_PATTERNS = 31
# The index list is part of the request line, which the node caps (4 KB by default).
MAX_TARGET_CHARS = 2000
# Reads of one object over more days than this ask the object-days index which days to read.
OBJECT_DAYS_BEYOND = 2
# Where a page's last time is looked for first, back from the newest time a hit can have.
FLOOR_LOOKBACK = (timedelta(days=1), timedelta(days=7))


def _metric_value(metric: str, bucket: dict) -> float | int | None:
    if metric == "count":
        return None
    if not bucket["values"]["value"]:
        return None  # no response codes in the group: NULL in SQL
    value = bucket["value"]["value"]
    return value if metric == "avg" else int(value)


def _group_order(group: GroupCount) -> tuple:
    # Biggest first, then by the keys (None first, as SQLite sorts NULL).
    return (-group.count, tuple((key is not None, key) for key in group.keys))


class SearchEngineStore(EventStore):
    """The EventStore on a search engine; a subclass per engine gives it its ``Transport``."""

    # Several bulk requests per write, so that the node indexes one while the next is built
    # (a write of one chunk would leave one side idle while the other works).
    write_batch_size = 5 * BULK_CHUNK

    def __init__(self, transport: Transport, *, prefix: str) -> None:
        if is_unsafe_prefix(prefix):
            raise ValueError(f"index prefix {prefix!r}: lower-case letters, digits, '_', '-' and '.' only")
        self.transport = transport
        self.config = transport.config
        self.prefix = prefix
        self.pattern = f"{prefix}-*"
        self.layout = Layout(prefix, self.config.index_period)
        self._template_ready = False
        self._index_names: dict[tuple[str, date], str] = {}
        self.index_list = IndexList(prefix, self._listed_indices)
        self.object_days = object_days.ObjectDays(transport, self.layout, replicas=self.config.replicas)
        self.summary = engine_summary.EngineSummary(transport, self.prefix, replicas=self.config.replicas)
        # Targets whose point-in-time id is too long for a cursor (their shards are many).
        self._pit_too_long: set[str] = set()

    @property
    def engine_title(self) -> str:
        return self.transport.engine_title

    @property
    def refresh(self) -> str:
        """What writes pass as ``refresh`` (``AUDITUI_INDEX_REFRESH``)."""
        return self.transport.write_refresh

    # --- layout --------------------------------------------------------------------------
    def index_for(self, record: AuditRecord) -> str:
        # Remembered per (cluster, day): a batch names a handful of indices thousands of times.
        key = (record.cluster, record.time.astimezone(UTC).date())
        name = self._index_names.get(key)
        if name is None:
            if len(self._index_names) > 1024:
                self._index_names.clear()
            name = self._index_names[key] = self.layout.index(safe_cluster(key[0]), key[1])
            self.index_list.forget()  # perhaps a new index
        return name

    def read_target(self, q: EventQuery, clusters: Sequence[str] = (), obj: ObjectRef | None = None) -> str:
        """The indices a query can touch: those of its clusters and days, when they are few, and
        of the days its object has events on when it names one (``obj``, or its filters).

        Every index searched costs the node a shard request, even one with nothing to find
        (bench/RESULTS.md has the cost), so a year of daily indices per cluster makes any
        search across all of them slow. ``clusters`` narrows further (``obj``'s by default)."""
        clusters = tuple(clusters or q.clusters or ((obj.cluster,) if obj else ()))
        days = self._periods(q)
        if self._asks_object_days(days):
            narrowed = self.object_days.target_for(q, clusters, obj, max_chars=MAX_TARGET_CHARS)
            if narrowed is not None:
                return narrowed
        names = [safe_cluster(cluster) for cluster in sorted(set(clusters))]
        if q.start is not None and q.end is None:
            # From a time on, without end (the newest events): the days that exist from then on.
            since = self.index_list.since(q.start.astimezone(UTC).date(), names)
            target = ",".join(f"{name}*" for name in since) or self.layout.no_index()
            if len(target) <= MAX_TARGET_CHARS:
                return target
        candidates = []
        if names and days is not None and len(names) * len(days) <= MAX_INDEX_PATTERNS:
            candidates.append(self.layout.patterns(names, days))
        if days is not None:
            candidates.append(self.layout.patterns(["*"], days))
        if names and len(names) <= MAX_INDEX_PATTERNS:
            # A cluster whose name extends another's ("prod", "prod-eu") matches both: the query's
            # cluster condition still decides; only a few more indices are asked.
            candidates.append([f"{self.prefix}-{name}-*" for name in names])
        for patterns in candidates:
            target = ",".join(patterns)
            if len(target) <= MAX_TARGET_CHARS:
                return target
        return self.pattern

    @staticmethod
    def _asks_object_days(periods: list[date] | None) -> bool:
        """Whether a read of one object over these index periods (None: many, or open) is worth
        a lookup of the object's days first."""
        return periods is None or len(periods) > OBJECT_DAYS_BEYOND

    def _periods(self, q: EventQuery) -> list[date] | None:
        """A day of each index period (day or month) of the query's range, when it has one of
        at most MAX_INDEX_PATTERNS periods."""
        if q.start is None or q.end is None:
            return None
        first, last = day_bounds(q.start, q.end)
        return self.layout.periods(first, last, MAX_INDEX_PATTERNS)

    def _listed_indices(self) -> list[str]:
        """This prefix's indices; refuses to go on when its reads would miss some."""
        names = self.transport.indices(self.pattern)
        unreadable = self.layout.unreadable(names)
        if unreadable:
            raise StoreUnavailable(
                f"index {unreadable} holds a month of events, but EVENT_STORE_URL reads by day and would miss "
                "them: set index_period=month again, or give each installation a prefix of its own "
                "(AUDITUI_INDEX_PREFIX)")
        return names

    def ensure_template(self) -> None:
        if not self._template_ready:
            existing = self._listed_indices()  # before writing anything, as reads would
            body = template_body(self.prefix, shards=self.config.shards, replicas=self.config.replicas)
            try:
                self.transport.put_template(self.prefix, body)
            except Exception as exc:
                remedy = advice(str(exc))
                if not remedy:
                    raise
                refusal = f"the engine refused the index template {self.prefix!r}: {exc}{remedy}"
                raise SearchEngineError(refusal) from exc
            self.object_days.put_template(has_events=bool(existing))
            self.summary.put_template(has_events=bool(existing))
            if existing:
                # Indices created from an earlier template lack the fields added since, and their
                # mapping is strict: add them (adding a field to a mapping is always allowed).
                later = {name: engine_mapping.MAPPINGS["properties"][name] for name in engine_mapping.LATER_FIELDS}
                self.transport.put_mapping(self.pattern, {"properties": later})
            self._template_ready = True

    def drop_everything(self) -> None:
        """Delete this prefix's indices and template (tests, and uninstalling)."""
        for name in self.transport.indices(self.pattern):
            self.transport.delete_index(name)
        self.transport.delete_template(self.prefix)
        self.object_days.drop()
        self.summary.drop()
        self._template_ready = False

    # --- writes --------------------------------------------------------------------------
    def write(self, records: Sequence[AuditRecord]) -> WriteResult:
        if not records:
            return WriteResult()
        self.ensure_template()
        outcome = BulkOutcome()
        # Building a chunk's documents (Python) overlaps with the node indexing the previous ones;
        # with two bulks in flight the node always has the next one queued while Python builds.
        pending: list = []
        for start in range(0, len(records), BULK_CHUNK):
            chunk = self._bulk_chunk(records[start:start + BULK_CHUNK], start)
            if len(pending) >= BULKS_IN_FLIGHT:
                outcome.add(*self._bulk_done(pending.pop(0)))
            pending.append((self._sender.submit(self.transport.bulk, chunk.body), chunk))
        for sent in pending:
            outcome.add(*self._bulk_done(sent))
        if outcome.errors:
            self.object_days.writer.forget()  # what failed may include object-days entries
            raise SearchEngineError(
                f"{len(outcome.errors)} of {len(records)} events were not stored "
                f"({outcome.ingested} were, {outcome.duplicates} duplicates); first: {outcome.errors[0]}"
                + advice(outcome.errors[0])
            )
        if outcome.rejected:
            self.summary.forget([records[offset] for offset, _reason in outcome.rejected])
        written = frozenset({*outcome.indices, self.object_days.index, self.summary.index})
        return WriteResult(ingested=outcome.ingested, duplicates=outcome.duplicates,
                           rejected=tuple(sorted(outcome.rejected)), written=written)

    @staticmethod
    def _bulk_done(sent: tuple) -> tuple[list[dict], BulkChunk]:
        future, chunk = sent
        return future.result(), chunk

    def _bulk_chunk(self, records: Sequence[AuditRecord], offset: int) -> BulkChunk:
        # The order of storing, for ties on time (the SQL store's ids): clock, then position.
        seq = time.time_ns() // 1000 * 1000
        return bulk_chunk(records, offset=offset, seq=seq, index_for=self.index_for,
                          summary_lines=self.object_days.lines(records) + self.summary.lines(records, seq))

    def make_searchable(self, written: Iterable[str]) -> None:
        if self.refresh != "false":
            return  # every write already waited for (or forced) its refresh
        for target in refresh_targets(sorted(set(written))):
            self.transport.refresh(target)

    @cached_property
    def _sender(self) -> ThreadPoolExecutor:
        return ThreadPoolExecutor(max_workers=BULKS_IN_FLIGHT, thread_name_prefix="auditui-bulk")

    def purge(self, *, before: datetime) -> int:
        self.transport.refresh(self.pattern)
        cutoff_day = before.astimezone(UTC).date()
        partial = before.astimezone(UTC) > datetime.combine(cutoff_day, datetime.min.time(), tzinfo=UTC)
        deleted = 0
        for name in sorted(self.transport.indices(self.pattern)):
            span = index_span(name)
            if span is None:
                continue
            first, last = span
            if last < cutoff_day:
                deleted += self.transport.count(name, count_body(dsl.MATCH_ALL))
                self.transport.delete_index(name)
            elif first < cutoff_day or (first == cutoff_day and partial):
                # A month that is partly past retention, or the cutoff's own day.
                query = {"range": {"time_us": {"lt": dsl.micros(before)}}}
                deleted += self.transport.delete_by_query(name, count_body(query))
        self.object_days.purge(cutoff_day)
        self.summary.purge(dsl.micros(before))
        return deleted

    def index_objects(self, progress: Callable[[int], None] | None = None, *, rebuild: bool = False) -> int:
        self.ensure_template()  # the object-days and summary indices' templates too
        kinds = followed_kinds() if rebuild else followed_kinds() - self.summary.covered()
        sent = self.summary.rebuild(self.pattern, kinds, progress) if kinds else 0
        if self.object_days.ready():
            return sent
        return sent + self.object_days.backfill(progress=progress)

    def object_summaries(
        self, scope: ViewerScope, *, kinds: Sequence[tuple[str, str]], clusters: Sequence[str] = (),
        namespace: str = "", limit: int | None = 1000,
    ) -> list[ObjectSummary] | None:
        if not set(kinds) <= self.summary.covered():
            return None
        return self.summary.read(scope, kinds=kinds, clusters=clusters, namespace=namespace, limit=limit)

    def cluster_totals(self, scope: ViewerScope) -> dict[str, int]:
        # For a viewer who sees everything, the indices' document counts answer it without a
        # search (an aggregate asks every daily index, slow at a year of retention); clusters'
        # names come from the object-days index, as index names hold them mangled.
        names = self.object_days.clusters() if scope.everything else None
        if names is None:
            return super().cluster_totals(scope)
        by_index_name = {safe_cluster(name): name for name in names}
        totals: dict[str, int] = {}
        for index, count in self.transport.doc_counts(self.pattern).items():
            name = by_index_name.get(index_cluster(self.prefix, index))
            if name is None:
                return super().cluster_totals(scope)  # an index of a cluster it does not know
            totals[name] = totals.get(name, 0) + count
        return {name: count for name, count in totals.items() if count}

    # --- reads ---------------------------------------------------------------------------
    def search(
        self, q: EventQuery, *, page_size: int = 50, cursor: str | None = None, columns_only: bool = False
    ) -> Page:
        after, pit = decode_cursor(cursor) if cursor else (None, None)
        source = COLUMNS_SOURCE if columns_only else HIT_SOURCE
        query, target = dsl.event_query(q), self.read_target(q)
        if cursor and pit is None:
            pit = self._try_open_pit(target)  # someone is paging: read one snapshot from here on
        response = None
        if pit is not None:
            try:
                response = self._page(q, query, target, pit, after, page_size, source)
                pit = response.get("pit_id") or pit
            except PitGone:
                pit = None
        if response is None:
            response = self._page(q, query, target, None, after, page_size, source)
        hits = response["hits"]["hits"]
        records = [engine_document.record_from_source(hit["_source"], hit["_id"]) for hit in hits[:page_size]]
        if len(hits) <= page_size:
            if pit is not None:
                self._close_pit_quietly(pit)
            return Page(records=records, next_cursor=None)
        # Only our own sort values: Elasticsearch adds a _shard_doc tiebreaker to point-in-time
        # sorts, and leaves it out again when search_after has just as many values as the sort.
        last = hits[page_size - 1]["sort"][:SORT_VALUES]
        return Page(records=records, next_cursor=encode_cursor(last, pit))

    def _page(self, q: EventQuery, query: dict, target: str, pit: str | None, after: list | None,
              page_size: int, source: dict) -> dict:
        """The response holding one page (and one more hit) after ``after``, in SEARCH_SORT order.

        First the time of the last hit the page can hold, with a sort on time alone (cheap);
        then the page itself among the matches from that time on (few, however long the range),
        in the indices of those days only."""
        floor, pit = self._time_floor(q, query, pit, after, page_size + 1)
        if floor is not None:
            query = dsl.all_of([query, {"range": {"time_us": {"gte": floor}}}])
            target = self.read_target(replace(q, start=dsl.from_micros(floor)))
        body = search_body(query, size=page_size + 1, search_after=after, pit=pit, source=source)
        return self.transport.search_pit(body) if pit else self.transport.search(target, body)

    def _time_floor(self, q: EventQuery, query: dict, pit: str | None, after: list | None,
                    size: int) -> tuple[int | None, str | None]:
        """The time (µs) of the ``size``-th newest match after ``after`` (None: fewer matches),
        looked for in the last day before the newest time a match can have, then the rest of the
        last week, then the rest of the range: a page usually fits in the newest day, whose
        indices are few. Each step reads only what the steps before it did not."""
        if after:
            query = dsl.all_of([query, after_sort_values(after)])
        newest = dsl.from_micros(after[0] + 1) if after else q.end
        starts: list[datetime | None] = []
        if newest is not None:
            starts = [newest - back for back in FLOOR_LOOKBACK if q.start is None or newest - back > q.start]
        wanted, newer = size, None  # ``newer``: where the previous step began
        for start in [*starts, None]:
            bounds = {"gte": dsl.micros(start)} if start is not None else {}
            if newer is not None:
                bounds["lt"] = dsl.micros(newer)
            window = dsl.all_of([query, {"range": {"time_us": bounds}}]) if bounds else query
            body = time_floor_body(window, size=wanted, pit=pit)
            if pit:
                response = self.transport.search_pit(body)
                pit = response.get("pit_id") or pit
            else:
                narrow = self.read_target(replace(q, start=start or q.start, end=newer or newest))
                response = self.transport.search(narrow, body)
            hits = response["hits"]["hits"]
            if len(hits) >= wanted:
                return hits[-1]["sort"][0], pit
            wanted, newer = wanted - len(hits), start
        return None, pit

    def _try_open_pit(self, target: str) -> str | None:
        if target in self._pit_too_long:
            return None  # its id did not fit in a cursor last time: do not open and close it again
        try:
            pit = self.transport.open_pit(target)
        except Exception:  # noqa: BLE001 - no snapshot (limit reached, no index): page without one
            return None
        if len(pit) > MAX_PIT_ID:
            self._close_pit_quietly(pit)
            if len(self._pit_too_long) > 256:
                self._pit_too_long.clear()
            self._pit_too_long.add(target)
            return None
        return pit

    def release_cursor(self, cursor: str) -> None:
        with contextlib.suppress(StoreError):
            _after, pit = decode_cursor(cursor)
            if pit is not None:
                self._close_pit_quietly(pit)

    def _close_pit_quietly(self, pit: str) -> None:
        with contextlib.suppress(Exception):  # it expires by itself anyway
            self.transport.close_pit(pit)

    def count(self, q: EventQuery) -> int:
        return self.transport.count(self.read_target(q), count_body(dsl.event_query(q)))

    def aggregate(
        self, q: EventQuery, *, group_by: Sequence[str], metric: str = "count",
        field: str | None = None, limit: int | None = 10,
    ) -> list[GroupCount]:
        check_aggregation(group_by, metric, field)
        query, target = dsl.event_query(q), self.read_target(q)
        groups: list[GroupCount] = []
        after = None
        while True:
            body = composite_body(query, group_by, metric=metric, field=field, after=after)
            result = self.transport.search(target, body).get("aggregations", {}).get("groups")
            if not result:
                break
            for bucket in result["buckets"]:
                keys = tuple(bucket["key"][f"k{i}"] for i in range(len(group_by)))
                groups.append(GroupCount(keys=keys, count=bucket["doc_count"], value=_metric_value(metric, bucket)))
            after = result.get("after_key")
            if not after or len(result["buckets"]) < COMPOSITE_PAGE:
                break
        groups.sort(key=_group_order)
        return groups if limit is None else groups[:limit]

    def histogram(self, q: EventQuery, *, interval: timedelta) -> list[Bucket]:
        if q.start is None or q.end is None:
            raise StoreError("a histogram needs a start and an end")
        starts = bucket_starts(q.start, q.end, interval)
        step = int(interval.total_seconds())
        body = histogram_body(dsl.event_query(q), step=step, first=starts[0], last=starts[-1])
        result = self.transport.search(self.read_target(q), body).get("aggregations", {}).get("histogram")
        counts = {bucket["key"] // 1000: bucket["doc_count"] for bucket in (result or {}).get("buckets", [])}
        return [Bucket(start=s, count=counts.get(int(s.timestamp()), 0)) for s in starts]

    def history(self, q: EventQuery, obj: ObjectRef) -> list[AuditRecord]:
        conditions = [dsl.event_query(q)] + [
            {"term": {name: {"value": value}}}
            for name, value in (("cluster", obj.cluster), ("resource", obj.resource),
                                ("namespace", obj.namespace), ("name", obj.name), ("api_group", obj.api_group))
            if value is not None
        ]
        query = dsl.all_of(conditions)
        # The object's days a request at a time when they do not fit in one: oldest first, so
        # the records come in order.
        chunks = None
        if self._asks_object_days(self._periods(q)):
            chunks = self.object_days.chunks_for(q, obj, max_chars=MAX_TARGET_CHARS)
        records: list[AuditRecord] = []
        for target in chunks or [self.read_target(q, obj=obj)]:
            after = None
            while True:
                body = search_body(query, size=HISTORY_PAGE, sort=HISTORY_SORT, search_after=after)
                hits = self.transport.search(target, body)["hits"]["hits"]
                records += [engine_document.record_from_source(hit["_source"], hit["_id"]) for hit in hits]
                if len(hits) < HISTORY_PAGE:
                    break
                after = hits[-1]["sort"][:SORT_VALUES]
        return records

    def object_activity(
        self, q: EventQuery, *, kinds: Sequence[tuple[str, str]], limit: int | None = 1000
    ) -> list[ObjectActivity]:
        if not kinds:
            return []
        kinds_query = dsl.any_of(
            dsl.all_of([{"term": {"api_group": {"value": group}}}, {"term": {"resource": {"value": resource}}}])
            for group, resource in kinds
        )
        query = dsl.all_of([dsl.event_query(q), kinds_query, dsl.negate({"term": {"name": {"value": ""}}})])
        found: list[tuple[tuple, ObjectActivity]] = []
        after = None
        while True:
            result = self.transport.search(self.read_target(q), activity_body(query, after=after))
            groups = result.get("aggregations", {}).get("objects")
            if not groups:
                break
            for bucket in groups["buckets"]:
                hit = bucket["last"]["hits"]["hits"][0]
                record = engine_document.record_from_source(hit["_source"], hit["_id"])
                ref = ObjectRef(cluster=record.cluster, resource=record.resource, name=record.name,
                                namespace=record.namespace, api_group=record.api_group)
                keys = tuple(bucket["key"][name] for name in OBJECT_KEYS)
                found.append(((-dsl.micros(record.time), keys), ObjectActivity(ref, bucket["doc_count"], record)))
            after = groups.get("after_key")
            if not after or len(groups["buckets"]) < ACTIVITY_PAGE:
                break
        found.sort(key=lambda pair: pair[0])
        activity = [entry for _order, entry in found]
        return activity if limit is None else activity[:limit]

    def get(self, scope: ViewerScope, event_id: int | str) -> AuditRecord | None:
        parsed = engine_document.parse_public_id(event_id) if isinstance(event_id, str) else None
        if parsed is None:
            return None
        day, doc_id = parsed
        query = dsl.all_of([dsl.scope_query(scope), {"ids": {"values": [doc_id]}}])
        # The day's indices first; every index only for an id without a day (or one not found
        # where its day says, which a store written by auditui does not have).
        targets = [self.layout.pattern("*", day)] if day else []
        for target in [*targets, self.pattern]:
            hits = self.transport.search(target, search_body(query, size=1))["hits"]["hits"]
            if hits:
                return engine_document.record_from_source(hits[0]["_source"], hits[0]["_id"])
        return None

"""The SQL event store (Django ORM): SQLite by default, PostgreSQL through DATABASE_URL."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import orjson
from django.core.exceptions import EmptyResultSet
from django.db import connection, connections, transaction
from django.db.models import Avg, Count, Func, IntegerField, Max, Min, Q, QuerySet, Sum

from auditui.access.scope import RESERVED_CLUSTER, Grant, ViewerScope, is_wildcard
from auditui.events.models import AuditEvent
from auditui.events.normalize import AuditRecord
from auditui.events.object_summary import ObjectSummary, followed_kinds
from auditui.events.query import to_q
from auditui.events.query.patterns import shell_pattern
from auditui.events.query.sql_expressions import TextGlob
from auditui.events.store import hourly, rollup, sql_summary
from auditui.events.store.base import (
    LIST_FIELDS,
    Bucket,
    EventQuery,
    EventStore,
    GroupCount,
    ObjectActivity,
    ObjectRef,
    Page,
    PageView,
    StoreError,
    WriteResult,
    bucket_starts,
    check_aggregation,
)
from auditui.events.store.deadline import within_deadline
from auditui.events.store.sql_page_view import MatchSummary, summarise
from auditui.events.store.sql_write import (
    COLUMN_FIELDS,
    RECORD_ERRORS,
    RECORD_FIELDS,
    PreparedRow,
    inserted_rows,
    prepared_inserted,
    reason,
)
from auditui.events.store.sqlite_checkpoints import BackgroundCheckpoints

_PURGE_CHUNK = 5000
_OBJECT_KEYS = ("cluster", "api_group", "resource", "namespace", "name")
_IN_CHUNK = 500
_AGGREGATES = {"avg": Avg, "min": Min, "max": Max, "sum": Sum}


class EpochSeconds(Func):
    """Seconds since the epoch of a datetime column, per database vendor."""

    output_field = IntegerField()

    def as_sqlite(self, compiler, connection, **extra):
        template = "CAST(strftime('%%%%s', %(expressions)s) AS INTEGER)"
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_postgresql(self, compiler, connection, **extra):
        template = "CAST(FLOOR(EXTRACT(EPOCH FROM %(expressions)s)) AS BIGINT)"
        return self.as_sql(compiler, connection, template=template, **extra)


def _patterns_q(field: str, patterns: Iterable[str]) -> Q:
    exact = [p for p in patterns if "*" not in p and "?" not in p]
    wild = [p for p in patterns if p not in exact]
    if "*" in wild:
        return Q()
    q = Q(**{f"{field}__in": exact}) if exact else Q(pk__in=[])
    for pattern in wild:
        # GLOB / LIKE, not a regular expression: SQLite's REGEXP is Python's backtracking
        # ``re``, run on every row's value, and the values come from the cluster's users.
        q |= Q(TextGlob(field, shell_pattern(pattern)))
    return q


def _clusters_q(patterns: tuple[str, ...]) -> Q:
    """Cluster patterns as ``access.scope.cluster_matches`` reads them: wildcards never reach the
    reserved cluster (auditui's own trail), only its name does."""
    wild = [p for p in patterns if is_wildcard(p)]
    q = Q(cluster__in=[p for p in patterns if not is_wildcard(p)])
    if wild:
        q |= _patterns_q("cluster", wild) & ~Q(cluster=RESERVED_CLUSTER)
    return q


def _grant_q(grant: Grant) -> Q:
    q = _clusters_q(grant.clusters)
    if not grant.cluster_wide:
        q &= ~Q(namespace="") & _patterns_q("namespace", grant.namespaces)
    return q


def scope_q(scope: ViewerScope) -> Q:
    """The one translation of a viewer's scope into SQL."""
    if scope.everything:
        return Q()
    q = Q(pk__in=[])
    for grant in scope.grants:
        q |= _grant_q(grant)
    return q


def encode_cursor(time: datetime, pk: int) -> str:
    return base64.urlsafe_b64encode(orjson.dumps([time.isoformat(), pk])).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        time_text, pk = orjson.loads(base64.urlsafe_b64decode(padded))
        return datetime.fromisoformat(time_text), int(pk)
    except (ValueError, TypeError, orjson.JSONDecodeError) as exc:
        raise StoreError("invalid cursor") from exc


def to_record(row: AuditEvent, *, columns_only: bool = False) -> AuditRecord:
    values = {name: getattr(row, name) for name in (COLUMN_FIELDS if columns_only else RECORD_FIELDS)}
    if columns_only:
        values["raw"] = {}
    values["time"] = values["time"].astimezone(UTC)
    return AuditRecord(id=row.pk, **values)


class SqlEventStore(EventStore):
    def queryset(self, q: EventQuery) -> QuerySet[AuditEvent]:
        """Every read starts here, so the scope is never forgotten."""
        qs = AuditEvent.objects.filter(scope_q(q.scope))
        if q.start:
            qs = qs.filter(time__gte=q.start)
        if q.end:
            qs = qs.filter(time__lt=q.end)
        if q.clusters:
            qs = qs.filter(cluster__in=q.clusters)
        if q.filters:
            qs = qs.filter(**dict(q.filters))
        if q.query is not None:
            qs = qs.filter(to_q(q.query))
        return qs

    # --- writes -------------------------------------------------------------------------
    def write(self, records: Sequence[AuditRecord]) -> WriteResult:
        """One INSERT … ON CONFLICT DO NOTHING per batch: the database decides what is a duplicate
        (exact under concurrent writers), and we skip the ORM's per-object overhead, which was
        most of the cost of ingest. The hourly counts get the records really inserted, in the
        same transaction (``hourly``: this, not a trigger, counts inserts on every vendor)."""
        if not records:
            return WriteResult()
        connection = connections[AuditEvent.objects.db]
        with transaction.atomic(using=connection.alias):
            inserted, rejected = self._insert(records, 0)
            hourly.add(connection, map(hourly.count_key, inserted))
            sql_summary.after_write(inserted, all_new=True)
        return WriteResult(ingested=len(inserted), duplicates=len(records) - len(inserted) - len(rejected),
                           rejected=tuple(rejected))

    @contextmanager
    def bulk_writing(self) -> Iterator[Callable[[], None]]:
        connection = connections[AuditEvent.objects.db]
        if connection.vendor != "sqlite":
            yield lambda: None
            return
        connection.ensure_connection()
        with BackgroundCheckpoints(connection.connection) as checkpoints:
            yield checkpoints.committed

    def write_prepared(self, prepared: Iterable[PreparedRow]) -> WriteResult:
        """``write`` of rows built ahead (``prepare_row``, SQLite or PostgreSQL). ``prepared`` may be rows
        still arriving (``ingest_ahead``): it is read once, inside the transaction, so that they
        are written while the rest are built. When the database refuses a row, the rest of them
        are read and the batch is written again in halves (``_insert``)."""
        connection = connections[AuditEvent.objects.db]
        arriving, taken = iter(prepared), list[PreparedRow]()
        rejected: list[tuple[int, str]] = []
        with transaction.atomic(using=connection.alias):
            try:
                with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
                    inserted = prepared_inserted(connection, cursor, arriving, taken)
            except RECORD_ERRORS:
                taken.extend(arriving)
                inserted, rejected = self._insert(taken, 0, insert=prepared_inserted)
            hourly.add(connection, (p.count_key for p in inserted))
            sql_summary.after_write([p.change for p in inserted if p.change is not None], all_new=True)
        return WriteResult(ingested=len(inserted), duplicates=len(taken) - len(inserted) - len(rejected),
                           rejected=tuple(rejected))

    def _insert(self, records: Sequence, offset: int, insert=inserted_rows) -> tuple[list, list[tuple[int, str]]]:
        """Insert in one transaction (a savepoint of ``write``'s); the records really inserted
        (not the duplicates) and the refused ones. When the database refuses a value, insert each
        half on its own (bisecting down to the one record at fault), so that a refused record is
        rejected alone and never takes its batch with it. An outage (OperationalError) is not
        bisected: it fails every half alike, and ingest reports the store unavailable."""
        connection = connections[AuditEvent.objects.db]
        try:
            with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
                return insert(connection, cursor, records), []
        except RECORD_ERRORS as exc:
            if len(records) == 1:
                return [], [(offset, f"the database refused it: {reason(exc)}")]
        middle = len(records) // 2
        first, first_rejected = self._insert(records[:middle], offset, insert)
        second, second_rejected = self._insert(records[middle:], offset + middle, insert)
        return first + second, first_rejected + second_rejected

    def purge(self, *, before: datetime) -> int:
        deleted = 0
        while True:
            ids = list(AuditEvent.objects.filter(time__lt=before).values_list("pk", flat=True)[:_PURGE_CHUNK])
            if not ids:
                sql_summary.purge(before)
                return deleted
            deleted += AuditEvent.objects.filter(pk__in=ids).delete()[0]

    def index_objects(self, progress: Callable[[int], None] | None = None, *, rebuild: bool = False) -> int:
        """The per-object summary of the followed kinds it does not cover yet (all with ``rebuild``)."""
        kinds = followed_kinds()
        if not rebuild:
            kinds -= sql_summary.covered_kinds()
        return sql_summary.rebuild(kinds, progress) if kinds else 0

    # --- reads --------------------------------------------------------------------------
    @within_deadline
    def object_summaries(
        self, scope: ViewerScope, *, kinds: Sequence[tuple[str, str]], clusters: Sequence[str] = (),
        namespace: str = "", limit: int | None = 1000,
    ) -> list[ObjectSummary] | None:
        if not set(kinds) <= sql_summary.covered_kinds():
            return None
        return sql_summary.read(scope_q(scope), kinds=kinds, clusters=clusters, namespace=namespace, limit=limit)

    @within_deadline
    def search(
        self, q: EventQuery, *, page_size: int = 50, cursor: str | None = None, columns_only: bool = False
    ) -> Page:
        qs = self.queryset(q)
        if columns_only:
            qs = qs.defer("raw")
        if cursor:
            time, pk = decode_cursor(cursor)
            qs = qs.filter(Q(time__lt=time) | Q(time=time, pk__lt=pk))
        rows = list(qs.order_by("-time", "-pk")[: page_size + 1])
        records = [to_record(row, columns_only=columns_only) for row in rows[:page_size]]
        next_cursor = None
        if len(rows) > page_size:
            last = rows[page_size - 1]
            next_cursor = encode_cursor(last.time, last.pk)
        return Page(records=records, next_cursor=next_cursor)

    @within_deadline
    def count(self, q: EventQuery) -> int:
        part = rollup.split(q) if rollup.qualifies(q) else None
        if part is None:
            return self.queryset(q).count()
        edges = sum(self.queryset(edge).count() for edge in part.edges)
        return rollup.total(rollup.counts(q, part, scope_q(q.scope))) + edges

    @within_deadline
    def aggregate(
        self, q: EventQuery, *, group_by: Sequence[str], metric: str = "count",
        field: str | None = None, limit: int | None = 10,
    ) -> list[GroupCount]:
        check_aggregation(group_by, metric, field)
        if len(group_by) == 1 and group_by[0] in LIST_FIELDS:
            return self._aggregate_list_field(q, group_by[0], limit)
        part = rollup.split(q) if metric == "count" and rollup.qualifies(q, group_by) else None
        if part is not None:
            return self._aggregate_from_rollup(q, part, group_by, limit)
        qs = self.queryset(q).values(*group_by).annotate(n=Count("pk"))
        if metric != "count":
            qs = qs.annotate(value=_AGGREGATES[metric](field))
        qs = qs.order_by("-n", *group_by)
        if limit is not None:
            qs = qs[:limit]
        return [
            GroupCount(keys=tuple(row[f] for f in group_by), count=row["n"], value=row.get("value"))
            for row in qs
        ]

    def _aggregate_from_rollup(
        self, q: EventQuery, part: rollup.Split, group_by: Sequence[str], limit: int | None
    ) -> list[GroupCount]:
        totals: dict[tuple, int] = {}
        rows = rollup.counts(q, part, scope_q(q.scope)).values(*group_by).annotate(n=Sum("count"))
        for row in rows.order_by():
            key = tuple(row[f] for f in group_by)
            totals[key] = totals.get(key, 0) + row["n"]
        for edge in part.edges:
            for row in self.queryset(edge).values(*group_by).annotate(n=Count("pk")).order_by():
                key = tuple(row[f] for f in group_by)
                totals[key] = totals.get(key, 0) + row["n"]
        ranked = sorted(((k, n) for k, n in totals.items() if n > 0), key=lambda kn: (-kn[1], kn[0]))
        return [GroupCount(keys=k, count=n) for k, n in ranked[:limit]]

    def _aggregate_list_field(self, q: EventQuery, field: str, limit: int | None) -> list[GroupCount]:
        """Group by each element of a JSON list column (groups, source IPs): one row per element."""
        try:
            inner_sql, params = self.queryset(q).values("pk").query.sql_with_params()
        except EmptyResultSet:  # e.g. a viewer whose scope grants nothing
            return []
        table = connection.ops.quote_name(AuditEvent._meta.db_table)
        column = connection.ops.quote_name(field)  # field is one of LIST_FIELDS, never user text
        if connection.vendor == "postgresql":
            elements = f"jsonb_array_elements_text(e.{column}) AS j(value)"
        else:
            elements = f"json_each(e.{column}) AS j"
        sql = (
            f"SELECT j.value, COUNT(*) AS n FROM {table} AS e, {elements} "
            f"WHERE e.id IN ({inner_sql}) GROUP BY j.value ORDER BY n DESC, j.value"
        )
        if limit is not None:
            sql += " LIMIT %s"
            params = (*params, limit)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return [GroupCount(keys=(value,), count=n) for value, n in cursor.fetchall()]

    @within_deadline
    def histogram(self, q: EventQuery, *, interval: timedelta) -> list[Bucket]:
        if q.start is None or q.end is None:
            raise StoreError("a histogram needs a start and an end")
        starts = bucket_starts(q.start, q.end, interval)
        step = int(interval.total_seconds())
        part = rollup.split(q) if step % rollup.HOUR == 0 and rollup.qualifies(q) else None
        counts = self._bucket_counts(q, step) if part is None else self._bucket_counts_from_rollup(q, part, step)
        return [Bucket(start=s, count=counts.get(int(s.timestamp()), 0)) for s in starts]

    def _bucket_counts(self, q: EventQuery, step: int) -> dict[int, int]:
        rows = (
            self.queryset(q)
            .annotate(bucket=EpochSeconds("time") / step)
            .values("bucket")
            .annotate(n=Count("pk"))
            .order_by()
        )
        return {int(row["bucket"]) * step: row["n"] for row in rows}

    def _bucket_counts_from_rollup(self, q: EventQuery, part: rollup.Split, step: int) -> dict[int, int]:
        counts: dict[int, int] = {}
        rows = rollup.counts(q, part, scope_q(q.scope)).values("hour").annotate(n=Sum("count")).order_by()
        for row in rows:
            bucket = row["hour"] // step * step
            counts[bucket] = counts.get(bucket, 0) + row["n"]
        for edge in part.edges:
            for bucket, n in self._bucket_counts(edge, step).items():
                counts[bucket] = counts.get(bucket, 0) + n
        return counts

    @within_deadline
    def page_view(
        self, q: EventQuery, *, interval: timedelta, page_size: int = 50, cursor: str | None = None,
        sample_size: int = 0,
    ) -> PageView:
        if q.start is None or q.end is None:
            raise StoreError("a histogram needs a start and an end")
        if rollup.qualifies(q):
            # Conditions the indexes and the hourly counts answer: the page and the sample are the
            # head of the time index, the histogram whole hours of counts. Apart, each read is cheap.
            return super().page_view(q, interval=interval, page_size=page_size, cursor=cursor,
                                     sample_size=sample_size)
        after = decode_cursor(cursor) if cursor else None
        starts = bucket_starts(q.start, q.end, interval)
        step = int(interval.total_seconds())
        matches = self.queryset(q).annotate(bucket=EpochSeconds("time") / step).values_list("pk", "time", "bucket")
        try:
            summary = summarise(matches.order_by(), step=step, page_size=page_size, after=after,
                                              sample_size=sample_size)
        except EmptyResultSet:  # a viewer whose scope grants nothing
            summary = MatchSummary(counts={}, page_ids=[], sample_ids=[])
        buckets = [Bucket(start=s, count=summary.counts.get(int(s.timestamp()), 0)) for s in starts]
        page = self._page_of(q, summary.page_ids, page_size)
        sample = self._rows_by_id(q, summary.sample_ids, columns_only=True)
        return PageView(page=page, buckets=buckets, sample=sample)

    def _page_of(self, q: EventQuery, ids: list[int], page_size: int) -> Page:
        records = self._rows_by_id(q, ids[:page_size])
        next_cursor = None
        if len(ids) > page_size and records:
            next_cursor = encode_cursor(records[-1].time, int(records[-1].id or 0))  # SQL ids are ints
        return Page(records=records, next_cursor=next_cursor)

    def _rows_by_id(self, q: EventQuery, ids: list[int], *, columns_only: bool = False) -> list[AuditRecord]:
        """These events in this order (newest first), still within the viewer's scope."""
        rows: dict[int, AuditEvent] = {}
        for i in range(0, len(ids), _IN_CHUNK):
            qs = AuditEvent.objects.filter(scope_q(q.scope), pk__in=ids[i:i + _IN_CHUNK])
            rows.update((row.pk, row) for row in (qs.defer("raw") if columns_only else qs))
        return [to_record(rows[pk], columns_only=columns_only) for pk in ids if pk in rows]

    @within_deadline
    def history(self, q: EventQuery, obj: ObjectRef) -> list[AuditRecord]:
        qs = self.queryset(q).filter(
            cluster=obj.cluster, resource=obj.resource, namespace=obj.namespace, name=obj.name
        )
        if obj.api_group is not None:
            qs = qs.filter(api_group=obj.api_group)
        return [to_record(row) for row in qs.order_by("time", "pk")]

    @within_deadline
    def get(self, scope: ViewerScope, event_id: int | str) -> AuditRecord | None:
        try:
            pk = int(event_id)
        except (TypeError, ValueError):
            return None
        row = AuditEvent.objects.filter(scope_q(scope), pk=pk).first()
        return to_record(row) if row else None

    @within_deadline
    def object_activity(
        self, q: EventQuery, *, kinds: Sequence[tuple[str, str]], limit: int | None = 1000
    ) -> list[ObjectActivity]:
        if not kinds:
            return []
        kinds_q = Q(pk__in=[])
        for group, resource in kinds:
            kinds_q |= Q(api_group=group, resource=resource)
        # The plain IN lets the planner range-scan the (resource, time) index.
        resources = sorted({resource for _group, resource in kinds})
        qs = self.queryset(q).filter(kinds_q, resource__in=resources).exclude(name="")
        groups = qs.values(*_OBJECT_KEYS).annotate(n=Count("pk"), last=Max("time")).order_by("-last", *_OBJECT_KEYS)
        groups = list(groups if limit is None else groups[:limit])
        newest = self._newest_of_groups(qs, groups)
        return [
            ObjectActivity(
                ref=ObjectRef(cluster=g["cluster"], resource=g["resource"], name=g["name"],
                              namespace=g["namespace"], api_group=g["api_group"]),
                count=g["n"], last=newest[tuple(g[k] for k in _OBJECT_KEYS)],
            )
            for g in groups
        ]

    @staticmethod
    def _newest_of_groups(qs: QuerySet[AuditEvent], groups: list[dict]) -> dict[tuple, AuditRecord]:
        """Each group's newest row: the rows at the groups' last times (through the time index),
        matched back to their group; ties go to the highest id (stored last)."""
        wanted = {tuple(g[k] for k in _OBJECT_KEYS): g["last"] for g in groups}
        times = sorted(set(wanted.values()))
        best: dict[tuple, AuditEvent] = {}
        for i in range(0, len(times), _IN_CHUNK):
            for row in qs.filter(time__in=times[i:i + _IN_CHUNK]):
                key = tuple(getattr(row, k) for k in _OBJECT_KEYS)
                if wanted.get(key) == row.time and (key not in best or row.pk > best[key].pk):
                    best[key] = row
        return {key: to_record(row) for key, row in best.items()}

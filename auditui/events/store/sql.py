"""The SQL event store (Django ORM): SQLite by default, PostgreSQL through DATABASE_URL."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta

import orjson
from django.core.exceptions import EmptyResultSet
from django.db import DataError, IntegrityError, connection, connections, transaction
from django.db.models import Avg, Count, Func, IntegerField, Max, Min, Q, QuerySet, Sum
from django.utils import timezone

from auditui.access.scope import RESERVED_CLUSTER, Grant, ViewerScope, is_wildcard
from auditui.events import fields
from auditui.events.models import AuditEvent
from auditui.events.normalize import AuditRecord
from auditui.events.object_summary import ObjectSummary, followed_kinds
from auditui.events.query import to_q
from auditui.events.query.patterns import shell_pattern
from auditui.events.query.sql_expressions import TextGlob
from auditui.events.sanitize import SANITIZED_KEY, make_safe
from auditui.events.store import rollup, sql_summary
from auditui.events.store.base import (
    LIST_FIELDS,
    Bucket,
    EventQuery,
    EventStore,
    GroupCount,
    ObjectActivity,
    ObjectRef,
    Page,
    StoreError,
    WriteResult,
    bucket_starts,
    check_aggregation,
)
from auditui.events.store.deadline import within_deadline

_RECORD_FIELDS = (*fields.COLUMNS, "raw")
_COLUMN_FIELDS = tuple(name for name in _RECORD_FIELDS if name != "raw")
# Derived from the raw event on write (properties of AuditRecord), never read back.
_DERIVED_FIELDS = ("has_request_object", "has_response_object")
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


_JSON_COLUMNS = frozenset({"user_groups", "source_ips", "raw"})
# What the database (or the driver, adapting a value) raises for a value it cannot hold.
_RECORD_ERRORS = (DataError, IntegrityError, ValueError, TypeError, OverflowError, RecursionError)


def _reason(exc: Exception) -> str:
    """The database's first line, short (it can quote the whole value)."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def _json_text(value) -> str:
    """orjson, or the standard library for what orjson refuses (integers beyond 64 bits)."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value)


# A float of 19 digits or more before the point, as orjson writes it (1e30, 1.2e+19): PostgreSQL
# keeps it as numeric and gives it back as an integer of that many digits, which orjson (pages,
# exports) refuses. Strings can match too (hex ids): those events are only looked through.
_BIG_FLOAT = re.compile(rb"[0-9]e\+?(?:19|[2-9][0-9]|[1-3][0-9][0-9])")


def _postgres_raw(record: AuditRecord) -> str:
    """The raw event as PostgreSQL will hold it: floats beyond 64-bit integers as their text
    (``sanitize``), which ingest's reader does not look for (it would cost every event)."""
    try:
        text = orjson.dumps(record.raw)
    except TypeError:  # integers beyond 64 bits (a record not from ingest's reader)
        text = None
    if text is not None and not _BIG_FLOAT.search(text):
        return text.decode()
    cleaned, notes = make_safe(record.raw)
    if notes:
        earlier = cleaned.get(SANITIZED_KEY)
        cleaned[SANITIZED_KEY] = [*(earlier if isinstance(earlier, list) else []), *notes]
        record.raw = cleaned
    return _json_text(record.raw)


def _insert_statement(connection, records: Sequence[AuditRecord]) -> tuple[str, list[tuple]]:
    columns = [*_RECORD_FIELDS, *_DERIVED_FIELDS, "ingested_at"]
    json_cast = "::jsonb" if connection.vendor == "postgresql" else ""
    placeholders = ", ".join(f"%s{json_cast}" if c in _JSON_COLUMNS else "%s" for c in columns)
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(AuditEvent._meta.db_table)} ({', '.join(quote(c) for c in columns)}) "
        f"VALUES ({placeholders}) ON CONFLICT DO NOTHING"
    )
    adapt_time = connection.ops.adapt_datetimefield_value
    now = adapt_time(timezone.now())
    rows = []
    for record in records:
        row = []
        for name in _RECORD_FIELDS:
            value = getattr(record, name)
            if name == "raw" and connection.vendor == "postgresql":
                value = _postgres_raw(record)
            elif name in _JSON_COLUMNS:
                value = _json_text(value)
            elif name in ("time", "stage_time") and value is not None:
                value = adapt_time(value)
            row.append(value)
        row.extend(getattr(record, name) for name in _DERIVED_FIELDS)
        row.append(now)
        rows.append(tuple(row))
    return sql, rows


def to_record(row: AuditEvent, *, columns_only: bool = False) -> AuditRecord:
    values = {name: getattr(row, name) for name in (_COLUMN_FIELDS if columns_only else _RECORD_FIELDS)}
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
        most of the cost of ingest."""
        if not records:
            return WriteResult()
        inserted, rejected = self._insert(records, 0)
        self._keep_summary(records, inserted, rejected)
        return WriteResult(ingested=inserted, duplicates=len(records) - inserted - len(rejected),
                           rejected=tuple(rejected))

    @staticmethod
    def _keep_summary(records: Sequence[AuditRecord], inserted: int, rejected: list[tuple[int, str]]) -> None:
        """The per-object summary of what the batch stored (``sql_summary``): its records but the
        refused ones; when some were duplicates, which ones is not known from the insert."""
        refused = {offset for offset, _reason in rejected}
        stored = [r for i, r in enumerate(records) if i not in refused] if refused else records
        sql_summary.after_write(stored, all_new=inserted == len(stored))

    def _insert(self, records: Sequence[AuditRecord], offset: int) -> tuple[int, list[tuple[int, str]]]:
        """Insert in one transaction; when the database refuses a value, insert each half on its
        own (bisecting down to the one record at fault), so that a refused record is rejected
        alone and never takes its batch with it. An outage (OperationalError) is not bisected:
        it fails every half alike, and ingest reports the store unavailable."""
        connection = connections[AuditEvent.objects.db]
        try:
            sql, rows = _insert_statement(connection, records)
            with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
                cursor.executemany(sql, rows)
                return cursor.rowcount, []
        except _RECORD_ERRORS as exc:
            if len(records) == 1:
                return 0, [(offset, f"the database refused it: {_reason(exc)}")]
        middle = len(records) // 2
        first, first_rejected = self._insert(records[:middle], offset)
        second, second_rejected = self._insert(records[middle:], offset + middle)
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

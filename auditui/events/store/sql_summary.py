"""The per-object summary in SQL (``auditui.events.object_summary``): table ``events_objectsummary``.

Kept at write time with one ``INSERT … ON CONFLICT DO UPDATE`` per batch, from the batch's own
change records aggregated in Python: the first change keeps the earlier time, counts add up, and
the last change's fields follow the newest event time (then the higher id), not the order of
arrival, so batches may come in any order. A batch whose insert met duplicates or refused
records cannot tell cheaply which of its records are new, so the objects it touched are
recomputed from their events instead (exact, whatever was stored before).

The daily purge recomputes the objects whose first change it may have removed; ``rebuild``
recomputes kinds from every event (``manage.py index_objects``). Reads use the summary only for
kinds it covers completely (``SummaryKind``); others are read from the events as before.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime

from django.db import connections, transaction
from django.db.models import Count, Max, Min, Q, QuerySet

from auditui.events.models import AuditEvent, SummaryKind, SummaryRow
from auditui.events.normalize import AuditRecord
from auditui.events.object_summary import (
    CHANGES,
    KEY_FIELDS,
    Key,
    ObjectSummary,
    changes_of,
    followed_kinds,
    of_last,
    summarise,
)
from auditui.events.query import to_q

_COLUMNS = (*KEY_FIELDS, "first_seen", "last_seen", "changes", "last_verb", "last_user", "last_event_id",
            "last_tier", "deleted")
_IN_CHUNK = 500
# Objects per statement: 13 values each stays under the 999 variables of an old SQLite build.
_UPSERT_CHUNK = 70
_KEY_CHUNK = 150
# Which kinds are covered is read again after this long (another process may have rebuilt).
_COVERED_SECONDS = 30.0


def _kinds_q(kinds: Iterable[tuple[str, str]]) -> Q:
    q = Q(pk__in=[])
    for group, resource in kinds:
        q |= Q(api_group=group, resource=resource)
    return q


def _upsert_sql(connection, rows: int) -> str:
    quote = connection.ops.quote_name
    table = quote(SummaryRow._meta.db_table)
    one = "(" + ", ".join(["%s"] * len(_COLUMNS)) + ")"
    # The incoming last change wins when it is newer: later time, or the same time and a higher
    # id (the row stored last, as the event reads break ties).
    newer = (f"(excluded.last_seen > {table}.last_seen OR (excluded.last_seen = {table}.last_seen "
             f"AND COALESCE(excluded.last_event_id, -1) > COALESCE({table}.last_event_id, -1)))")
    last_fields = ("last_seen", "last_verb", "last_user", "last_event_id", "last_tier", "deleted")
    updates = [
        f"first_seen = CASE WHEN excluded.first_seen < {table}.first_seen THEN excluded.first_seen "
        f"ELSE {table}.first_seen END",
        f"changes = {table}.changes + excluded.changes",
        *(f"{quote(c)} = CASE WHEN {newer} THEN excluded.{quote(c)} ELSE {table}.{quote(c)} END"
          for c in last_fields),
    ]
    return (f"INSERT INTO {table} ({', '.join(quote(c) for c in _COLUMNS)}) VALUES {', '.join([one] * rows)} "
            f"ON CONFLICT ({', '.join(quote(c) for c in KEY_FIELDS)}) DO UPDATE SET {', '.join(updates)}")


def _params(connection, summary: ObjectSummary) -> list:
    adapt = connection.ops.adapt_datetimefield_value
    return [*summary.key, adapt(summary.first_seen), adapt(summary.last_seen), summary.changes, summary.last_verb,
            summary.last_user, summary.last_event_id, summary.last_tier, summary.deleted]


def upsert(summaries: Sequence[ObjectSummary]) -> None:
    """Add these objects' changes to the summary (one statement per few hundred objects)."""
    connection = connections[SummaryRow.objects.db]
    with connection.cursor() as cursor:
        for i in range(0, len(summaries), _UPSERT_CHUNK):
            chunk = summaries[i:i + _UPSERT_CHUNK]
            params = [value for summary in chunk for value in _params(connection, summary)]
            cursor.execute(_upsert_sql(connection, len(chunk)), params)


# --- at write ----------------------------------------------------------------------------------

def after_write(records: Sequence[AuditRecord], *, all_new: bool) -> None:
    """Keep the summary up to date with a batch just written: ``records`` are those the insert
    did not refuse; ``all_new`` says none of them was a duplicate."""
    kinds = followed_kinds()
    changes = changes_of(records, kinds)
    if not changes:
        return  # nearly every batch: nothing of the followed kinds changed
    if not all_new:
        recompute({(r.cluster, r.api_group, r.resource, r.namespace, r.name) for r in changes})
        return
    ids = _stored_ids(changes)
    for record in changes:
        record.id = ids.get((record.cluster, record.audit_id, record.stage), record.id)
    upsert(list(summarise(changes).values()))


def _stored_ids(records: Sequence[AuditRecord]) -> dict[tuple[str, str, str], int]:
    """The ids the database gave these records (through the identity's unique index)."""
    found: dict[tuple[str, str, str], int] = {}
    clusters = sorted({r.cluster for r in records})
    audit_ids = sorted({r.audit_id for r in records})
    for i in range(0, len(audit_ids), _IN_CHUNK):
        rows = AuditEvent.objects.filter(cluster__in=clusters, audit_id__in=audit_ids[i:i + _IN_CHUNK])
        for cluster, audit_id, stage, pk in rows.values_list("cluster", "audit_id", "stage", "pk"):
            found[(cluster, audit_id, stage)] = pk
    return found


# --- from the events ---------------------------------------------------------------------------

def _change_events(kinds: Iterable[tuple[str, str]]) -> QuerySet[AuditEvent]:
    kinds = sorted(kinds)
    # The plain IN lets the planner range-scan the (resource, …) covering index.
    return (AuditEvent.objects.filter(_kinds_q(kinds), to_q(CHANGES), resource__in={r for _g, r in kinds})
            .exclude(name=""))


def _from_events(qs: QuerySet[AuditEvent], wanted: set[Key] | None) -> list[ObjectSummary]:
    """The summaries of the objects ``qs``'s change events are about (only ``wanted`` ones)."""
    groups = [g for g in qs.values(*KEY_FIELDS).annotate(n=Count("pk"), first=Min("time"), last=Max("time"))
              .order_by()
              if wanted is None or tuple(g[k] for k in KEY_FIELDS) in wanted]
    last_times = {tuple(g[k] for k in KEY_FIELDS): g["last"] for g in groups}
    newest: dict[Key, AuditEvent] = {}
    times = sorted(set(last_times.values()))
    for i in range(0, len(times), _IN_CHUNK):
        for row in qs.filter(time__in=times[i:i + _IN_CHUNK]):
            key = tuple(getattr(row, k) for k in KEY_FIELDS)
            if last_times.get(key) == row.time and (key not in newest or row.pk > newest[key].pk):
                newest[key] = row
    out = []
    for g in groups:
        key = tuple(g[k] for k in KEY_FIELDS)
        row = newest[key]
        record = AuditRecord(cluster=row.cluster, audit_id=row.audit_id, stage=row.stage, time=row.time, raw=row.raw,
                             verb=row.verb, username=row.username, resource=row.resource, api_group=row.api_group,
                             namespace=row.namespace, name=row.name, id=row.pk)
        out.append(of_last(record, first_seen=g["first"], changes=g["n"]))
    return out


def recompute(keys: set[Key]) -> None:
    """Replace these objects' rows with what their events say (an object without change events
    left loses its row)."""
    by_kind: dict[tuple[str, str], set[Key]] = {}
    for key in keys:
        by_kind.setdefault((key[1], key[2]), set()).add(key)
    with transaction.atomic(using=SummaryRow.objects.db):
        for kind, wanted in by_kind.items():
            ordered = sorted(wanted)
            for i in range(0, len(ordered), _KEY_CHUNK):
                chunk = set(ordered[i:i + _KEY_CHUNK])
                names = {k[4] for k in chunk}
                qs = _change_events([kind]).filter(name__in=names, cluster__in={k[0] for k in chunk})
                fresh = _from_events(qs, chunk)
                _delete_rows(chunk)
                SummaryRow.objects.bulk_create([SummaryRow(**_fields(s)) for s in fresh])


def _delete_rows(keys: Iterable[Key]) -> None:
    q = Q(pk__in=[])
    for key in keys:
        q |= Q(**dict(zip(KEY_FIELDS, key, strict=True)))
    SummaryRow.objects.filter(q).delete()


def _fields(summary: ObjectSummary) -> dict:
    return {name: getattr(summary, name) for name in _COLUMNS}


def rebuild(kinds: Iterable[tuple[str, str]], progress: Callable[[int], None] | None = None) -> int:
    """Recompute every object of these kinds from the events, and mark them covered; the rows
    written."""
    written = 0
    for kind in sorted(kinds):
        fresh = _from_events(_change_events([kind]), None)
        with transaction.atomic(using=SummaryRow.objects.db):
            SummaryRow.objects.filter(api_group=kind[0], resource=kind[1]).delete()
            SummaryRow.objects.bulk_create([SummaryRow(**_fields(s)) for s in fresh], batch_size=_IN_CHUNK)
            SummaryKind.objects.get_or_create(api_group=kind[0], resource=kind[1])
        written += len(fresh)
        if progress is not None:
            progress(written)
    _covered.clear()
    return written


def purge(before: datetime) -> None:
    """After the events before ``before`` went: the objects whose first change was before it
    lost changes (or all of them)."""
    stale = SummaryRow.objects.filter(first_seen__lt=before).values_list(*KEY_FIELDS)
    recompute({tuple(row) for row in stale})


# --- reads -------------------------------------------------------------------------------------

_covered: dict[str, tuple[float, frozenset[tuple[str, str]]]] = {}


def covered_kinds() -> frozenset[tuple[str, str]]:
    """The followed kinds the summary holds completely. A covered kind no longer followed loses
    its cover (writes stop keeping it, so following it again needs a rebuild)."""
    cached = _covered.get("kinds")
    followed = followed_kinds()
    if cached is None or cached[0] < time.monotonic():
        kinds = frozenset(SummaryKind.objects.values_list("api_group", "resource"))
        for group, resource in kinds - followed:
            SummaryKind.objects.filter(api_group=group, resource=resource).delete()
        cached = (time.monotonic() + _COVERED_SECONDS, kinds & followed)
        _covered["kinds"] = cached
    return cached[1] & followed


def read(scope_q: Q, *, kinds: Sequence[tuple[str, str]], clusters: Sequence[str], namespace: str,
         limit: int | None) -> list[ObjectSummary]:
    qs = SummaryRow.objects.filter(scope_q, _kinds_q(kinds))
    if clusters:
        qs = qs.filter(cluster__in=clusters)
    if namespace:
        qs = qs.filter(namespace=namespace)
    # The order of the lists read from the events: newest last change, then the object's key.
    qs = qs.order_by("-last_seen", *KEY_FIELDS)
    return [_summary(row) for row in (qs if limit is None else qs[:limit])]


def _summary(row: SummaryRow) -> ObjectSummary:
    values = {name: getattr(row, name) for name in _COLUMNS}
    values["first_seen"] = row.first_seen.astimezone(UTC)
    values["last_seen"] = row.last_seen.astimezone(UTC)
    return ObjectSummary(**values)

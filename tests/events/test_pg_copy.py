"""The SQL store's PostgreSQL write path (auditui/events/store/pg_copy.py): COPY into a staging
table, one INSERT … SELECT … ON CONFLICT DO NOTHING per batch. It must store, count and refuse
exactly as the one-row INSERT does. PostgreSQL only (DATABASE_URL); skipped on SQLite."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, transaction

from auditui.access.scope import ViewerScope
from auditui.events.models import AuditEvent, HourlyEventCount
from auditui.events.normalize import normalize_event
from auditui.events.sanitize import SANITIZED_KEY
from auditui.events.store import EventQuery
from auditui.events.store.pg_copy import STAGING
from auditui.events.store.sql import SqlEventStore
from tests.factories import audit_event

pytestmark = [pytest.mark.django_db, pytest.mark.skipif("connection.vendor != 'postgresql'")]
T0 = datetime(2026, 10, 1, tzinfo=UTC)
ALL = ViewerScope.all()


def _records(count: int, *, cluster: str = "c1", start: int = 0, **fields) -> list:
    """``count`` events, a second apart from T0 + ``start`` seconds; their auditID is that second."""
    return [normalize_event(audit_event(time=T0 + timedelta(seconds=start + n), audit_id=f"id-{start + n}", **fields),
                            cluster=cluster)
            for n in range(count)]


def _staged_rows() -> int | None:
    """Rows in this session's staging table; None when it does not exist."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [f"pg_temp.{STAGING}"])
        if cursor.fetchone()[0] is None:
            return None
        cursor.execute(f"SELECT count(*) FROM {STAGING}")
        return cursor.fetchone()[0]


def test_it_stores_a_batch_through_the_staging_table():
    result = SqlEventStore().write(_records(50))
    assert (result.ingested, result.duplicates, result.rejected) == (50, 0, ())
    assert AuditEvent.objects.count() == 50
    # Inside the test's transaction: the batch went through the staging table, emptied after it.
    assert _staged_rows() == 0


def test_it_stores_the_same_values_as_the_one_row_insert():
    store = SqlEventStore()
    event = audit_event(time=T0, groups=["system:masters", "dev"], code=403, verb="delete",
                        stageTimestamp="2026-10-01T00:00:01.250000Z",
                        annotations={"authorization.k8s.io/decision": "forbid"},
                        requestObject={"kind": "Pod", "spec": {"n": 1.5, "big": 2**70, "text": "tab\there é"}})
    copied = [normalize_event({**event, "auditID": f"copy-{n}"}, cluster="c1") for n in range(2)]
    single = normalize_event({**event, "auditID": "single"}, cluster="c1")
    assert store.write(copied).ingested == 2
    assert store.write([single]).ingested == 1  # one record: the plain INSERT
    rows = {row.audit_id: row for row in AuditEvent.objects.all()}
    skip = {"id", "audit_id", "raw", "ingested_at"}
    values = [{f.name: getattr(rows[key], f.name) for f in AuditEvent._meta.concrete_fields if f.name not in skip}
              for key in ("copy-0", "single")]
    assert values[0] == values[1]
    assert values[0]["stage_time"] == T0 + timedelta(seconds=1.25) and values[0]["has_request_object"] is True
    assert {**rows["copy-0"].raw, "auditID": "single"} == rows["single"].raw


def test_it_counts_duplicates_exactly_and_keeps_the_first_copy():
    store = SqlEventStore()
    assert store.write(_records(5)).ingested == 5
    again = _records(5)  # the same five identities
    fresh = _records(3, start=100)
    # The same event twice in one batch: the first is stored.
    twin = normalize_event(audit_event(time=T0 + timedelta(seconds=100), audit_id="id-100", verb="delete"),
                           cluster="c1")
    result = store.write([*again, *fresh, twin])
    assert (result.ingested, result.duplicates) == (3, 6)
    assert AuditEvent.objects.get(audit_id=fresh[0].audit_id).verb == "get"


def test_it_stores_a_batch_in_its_order():
    records = _records(20)
    SqlEventStore().write(records)
    stored = list(AuditEvent.objects.order_by("id").values_list("audit_id", flat=True))
    assert stored == [record.audit_id for record in records]


def test_it_rejects_each_refused_record_alone_with_its_position():
    records = _records(12)
    records[2].username = "nul\x00inside"  # PostgreSQL text cannot hold NUL
    records[5].namespace = "n" * 300  # past the column's 253 characters
    records[9].response_code = 2**40  # past the integer column (psycopg's binary int4 would wrap it)
    records[11].response_code = 2**70  # past what the COPY's int8 takes: refused before the server
    result = SqlEventStore().write(records)
    assert [index for index, _reason in result.rejected] == [2, 5, 9, 11]
    assert all(reason.startswith("the database refused it: ") for _index, reason in result.rejected)
    assert (result.ingested, result.duplicates) == (8, 0)
    assert AuditEvent.objects.count() == 8


def test_it_keeps_the_hourly_counts_exact_per_batch():
    store = SqlEventStore()
    first = _records(30, namespace="payments", verb="create")
    store.write(first)
    store.write([*first[:10], *_records(30, start=3600, namespace="payments", verb="create")])
    counts = {c.hour: c.count for c in HourlyEventCount.objects.filter(cluster="c1", namespace="payments")}
    hour = int(T0.timestamp())
    assert counts == {hour: 30, hour + 3600: 30}
    assert store.count(EventQuery(scope=ALL, start=T0, end=T0 + timedelta(hours=2))) == 60
    store.purge(before=T0 + timedelta(hours=1))
    assert HourlyEventCount.objects.get(hour=hour, cluster="c1", namespace="payments").count == 0


def test_it_empties_the_staging_table_between_batches_of_one_transaction():
    store = SqlEventStore()
    with transaction.atomic():
        assert store.write(_records(10)).ingested == 10
        assert store.write(_records(10, start=50)).ingested == 10
        assert _staged_rows() == 0
    assert AuditEvent.objects.count() == 20


def test_it_recreates_the_staging_table_after_a_rollback_took_it():
    store = SqlEventStore()
    with pytest.raises(RuntimeError), transaction.atomic():
        store.write(_records(10))
        raise RuntimeError("the caller fails after the write")
    assert _staged_rows() is None  # its creation was rolled back with the rest
    assert store.write(_records(10)).ingested == 10
    assert AuditEvent.objects.count() == 10


def test_it_stores_floats_past_64_bit_integers_as_their_text_and_leaves_hex_ids_alone():
    # safe=True: as ingest's reader vouches, so the store's own check is what finds the float.
    big = normalize_event(audit_event(time=T0, audit_id="big", requestObject={"n": 1.5e25}), cluster="c1", safe=True)
    hex_id = normalize_event(audit_event(time=T0, audit_id="hex", requestObject={"uid": "a5e21b", "n": [1e18]}),
                             cluster="c1", safe=True)
    assert SqlEventStore().write([big, hex_id]).ingested == 2
    stored = {row.audit_id: row.raw for row in AuditEvent.objects.all()}
    assert stored["big"]["requestObject"]["n"] == "1.5e+25" and stored["big"][SANITIZED_KEY]
    assert stored["hex"]["requestObject"] == {"uid": "a5e21b", "n": [1e18]} and SANITIZED_KEY not in stored["hex"]

"""Files read by a reader process while this one writes (auditui.events.ingest_ahead): the same
report, rejections, duplicates, drop-rule counts and hourly counts as ingesting one by one."""

from __future__ import annotations

import gzip
import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection

from auditui.events import ingest_ahead
from auditui.events.ingest import Ingestor, ingest_path
from auditui.events.models import AuditEvent, DropRule, HourlyEventCount
from auditui.events.reader import decode_lines, open_binary, text_lines
from tests.factories import BASE_TIME, audit_event

pytestmark = pytest.mark.django_db
# On PostgreSQL the same tests check that the one-by-one path gives the same answers.
sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="reads ahead into SQLite only")


def _file(path: Path, events: list, *, bad_line: int | None = None) -> Path:
    lines = [json.dumps(e) for e in events]
    if bad_line is not None:
        lines.insert(bad_line - 1, '{"kind": "Event", oops')
    path.write_text("\n".join(lines) + "\n")
    return path


def _spread(count: int) -> list[dict]:
    return [audit_event(time=BASE_TIME + timedelta(minutes=7 * i), verb=("get", "delete")[i % 2]) for i in range(count)]


@sqlite_only
def test_it_reads_ahead_into_sqlite():
    with Ingestor(cluster="c1") as ingestor:
        assert ingest_ahead.can_read_ahead(ingestor)


def test_it_stores_reports_and_counts_like_one_by_one(tmp_path):
    events = _spread(60)
    path = _file(tmp_path / "a.log", [*events, events[3]], bad_line=10)
    report = ingest_path(path, cluster="c1", batch_size=7)  # several writes, one rejection between them
    assert (report.ingested, report.duplicates, report.rejected) == (60, 1, 1)
    assert [str(r).split(": ")[0] for r in report.rejections] == [f"{path}:10"]
    assert AuditEvent.objects.filter(cluster="c1").count() == 60
    assert sum(HourlyEventCount.objects.values_list("count", flat=True)) == 60
    deletes = HourlyEventCount.objects.filter(verb="delete").values_list("count", flat=True)
    assert sum(deletes) == 30


def test_it_counts_nothing_twice_when_the_file_comes_again(tmp_path):
    path = _file(tmp_path / "a.log", _spread(20))
    ingest_path(path, cluster="c1")
    again = ingest_path(path, cluster="c1")
    assert (again.ingested, again.duplicates) == (0, 20)
    assert sum(HourlyEventCount.objects.values_list("count", flat=True)) == 20


def test_it_counts_what_drop_rules_discard_in_the_reader(tmp_path):
    rule = DropRule.objects.create(name="reads", query="verb = get")
    report = ingest_path(_file(tmp_path / "a.log", _spread(10)), cluster="c1")
    assert (report.ingested, report.dropped) == (5, 5)
    rule.refresh_from_db()
    assert rule.dropped_total == 5


def test_it_keeps_what_came_before_a_read_error(tmp_path):
    data = gzip.compress(("\n".join(json.dumps(e) for e in _spread(40)) + "\n").encode())
    path = tmp_path / "cut.log.gz"
    path.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(EOFError), Ingestor(cluster="c1") as ingestor, open_binary(path) as binary:
        ingestor.feed_all(decode_lines(text_lines(binary), str(path)))
    stored = AuditEvent.objects.filter(cluster="c1").count()
    assert 0 < stored < 40 and ingestor.report.ingested == stored
    assert sum(HourlyEventCount.objects.values_list("count", flat=True)) == stored


@sqlite_only
def test_it_tells_how_far_the_reader_read(tmp_path):
    path = _file(tmp_path / "a.log", _spread(30))
    told: list[int] = []
    with Ingestor(cluster="c1") as ingestor, path.open("rb") as binary:
        ingestor.feed_all(decode_lines(iter(binary.read().decode().splitlines(True)), str(path)),
                          read_position=lambda: 30, on_read=told.append)
    assert ingestor.report.ingested == 30 and told and set(told) == {30}


@sqlite_only
def test_it_stops_the_reader_and_its_receiving_thread_when_the_store_fails(tmp_path, monkeypatch):
    import multiprocessing
    import threading

    from auditui.events.store import StoreUnavailable
    from auditui.events.store.sql import SqlEventStore

    # The database going away mid-file cannot be staged on an embedded SQLite file: the store's
    # write raises as it does when the database is unavailable, from its second batch on.
    written = SqlEventStore.write_prepared
    calls: list[int] = []

    def failing(self, prepared):
        calls.append(1)  # a batch (its rows may still be arriving: not counted here)
        if len(calls) > 1:
            raise StoreUnavailable("the database is not available")
        return written(self, prepared)

    monkeypatch.setattr(SqlEventStore, "write_prepared", failing)
    path = _file(tmp_path / "big.log", _spread(3000))
    with pytest.raises(StoreUnavailable):
        ingest_path(path, cluster="c1", batch_size=500)
    assert AuditEvent.objects.filter(cluster="c1").count() == 500  # the first batch, kept
    assert not [t for t in threading.enumerate() if t.name == "auditui-ingest-drain"]
    assert not multiprocessing.active_children()


def test_it_rejects_alone_a_row_the_database_refuses_in_the_middle_of_a_batch(tmp_path, monkeypatch):
    from auditui.events import ingest

    real = ingest.normalize_event

    def unsanitised(value, *, cluster, safe=False):  # as if the reader had let a bad value through
        record = real(value, cluster=cluster, safe=safe)
        if record.name == "bad":
            record.namespace = "bad\ud800"  # no database can store a lone surrogate
        return record

    monkeypatch.setattr(ingest, "normalize_event", unsanitised)
    events = [audit_event(time=BASE_TIME + timedelta(seconds=i), name=f"p{i}") for i in range(1200)]
    events[700]["objectRef"]["name"] = "bad"
    path = _file(tmp_path / "a.log", events)
    report = ingest_path(path, cluster="c1", batch_size=1000)  # the bad row is read while its batch is written
    assert (report.ingested, report.duplicates, report.rejected) == (1199, 0, 1)
    (rejection,) = report.rejections
    assert rejection.position == f"{path}:701" and rejection.reason.startswith("the database refused it")
    assert AuditEvent.objects.filter(cluster="c1").count() == 1199
    assert not AuditEvent.objects.filter(name="bad").exists()
    assert sum(HourlyEventCount.objects.values_list("count", flat=True)) == 1199


@sqlite_only
def test_it_writes_what_arrived_when_the_source_pauses(monkeypatch):
    import time

    from auditui.events.reader import Decoded

    monkeypatch.setattr(ingest_ahead, "ARRIVAL_WAIT_S", 0.2)

    def slow_source():  # in the reader process: a message's worth of events, a pause, the rest
        for i, event in enumerate(_spread(ingest_ahead.MESSAGE_RECORDS + 100)):
            if i == ingest_ahead.MESSAGE_RECORDS + 1:
                time.sleep(1.5)
            yield Decoded(value=event, position=f"event {i + 1}")

    ingested_per_write: list[int] = []
    with Ingestor(cluster="c1", on_batch=lambda report: ingested_per_write.append(report.ingested)) as ingestor:
        ingestor.feed_all(slow_source())
    assert ingestor.report.ingested == ingest_ahead.MESSAGE_RECORDS + 100
    # the first message was written (and its transaction ended) while the source paused
    assert ingest_ahead.MESSAGE_RECORDS in ingested_per_write


def test_the_reader_ends_quietly_when_the_writer_is_gone(capfd):
    import multiprocessing

    from auditui.events.reader import Decoded

    receiver, sender = multiprocessing.Pipe(duplex=False)
    receiver.close()  # the writer failed and stopped reading
    documents = (Decoded(value=event, position=f"event {i}") for i, event in enumerate(_spread(1200)))
    with Ingestor(cluster="c1") as ingestor:
        ingest_ahead._produce(sender, documents, ingestor, None)  # returns: nothing raised
    assert "Traceback" not in capfd.readouterr().err
    assert AuditEvent.objects.count() == 0

"""Files read by a reader process while this one writes (auditui.events.ingest_ahead), into
SQLite or PostgreSQL (DATABASE_URL): the same report, rejections, duplicates, drop-rule counts,
hourly counts and per-object summary as ingesting one by one."""

from __future__ import annotations

import gzip
import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection

from auditui.access.scope import ViewerScope
from auditui.events import ingest_ahead
from auditui.events.ingest import Ingestor, ingest_path
from auditui.events.models import AuditEvent, DropRule, HourlyEventCount
from auditui.events.normalize import AuditRecord
from auditui.events.reader import Decoded, byte_lines, decode_lines, open_binary, text_lines
from auditui.events.store.sql import SqlEventStore
from tests.factories import BASE_TIME, audit_event

pytestmark = pytest.mark.django_db
NP = ("networking.k8s.io", "networkpolicies")


def _file(path: Path, events: list, *, bad_line: int | None = None) -> Path:
    lines = [json.dumps(e) for e in events]
    if bad_line is not None:
        lines.insert(bad_line - 1, '{"kind": "Event", oops')
    path.write_text("\n".join(lines) + "\n")
    return path


def _spread(count: int) -> list[dict]:
    return [audit_event(time=BASE_TIME + timedelta(minutes=7 * i), verb=("get", "delete")[i % 2]) for i in range(count)]


def _ingest(path: Path, cluster: str, *, ahead: bool, ingestor: type[Ingestor] = Ingestor) -> Ingestor:
    """``path`` fed as ``manage.py ingest`` feeds it, read ahead or one by one, batches of 7."""
    with open_binary(path) as binary, ingestor(cluster=cluster, batch_size=7) as fed:
        fed.feed_all(decode_lines(byte_lines(binary), str(path)), ahead=ahead)
    return fed


def _hourly(cluster: str) -> list[tuple]:
    return list(HourlyEventCount.objects.filter(cluster=cluster).order_by("hour", "namespace", "verb")
                .values_list("hour", "namespace", "verb", "count"))


class _Spoiling(Ingestor):
    """Puts into the records of lines 3 and 6 values the normaliser never lets through (a NUL in
    text, which PostgreSQL refuses; an integer past 64 bits in an integer column, which both
    databases refuse), so that the database refuses them at the write, as it would any value
    it cannot hold. Forked with the reader, so the reader process spoils them too."""

    def prepare(self, decoded: Decoded) -> AuditRecord | str | None:
        outcome = super().prepare(decoded)
        if isinstance(outcome, AuditRecord) and decoded.position.endswith(":3"):
            outcome.username = "nul\x00inside"
        if isinstance(outcome, AuditRecord) and decoded.position.endswith(":6"):
            outcome.response_code = 2**70
        return outcome


def test_it_reads_ahead_into_sqlite_and_postgresql():
    assert connection.vendor in ("sqlite", "postgresql")
    with Ingestor(cluster="c1") as ingestor:
        assert ingest_ahead.can_read_ahead(ingestor)


def test_it_gives_the_report_and_hourly_counts_of_one_by_one(tmp_path):
    events = _spread(40)
    path = _file(tmp_path / "a.log", [*events[:20], events[3], *events[20:], events[25], events[3]], bad_line=10)
    ahead, alone = _ingest(path, "c1", ahead=True).report, _ingest(path, "c2", ahead=False).report
    assert (ahead.ingested, ahead.duplicates, ahead.rejected) == (40, 3, 1)
    assert ahead.as_dict() == alone.as_dict() and ahead.rejections == alone.rejections
    assert _hourly("c1") == _hourly("c2") and sum(n for *_key, n in _hourly("c1")) == 40
    stored = AuditEvent.objects.filter(cluster="c1").order_by("id").values_list("audit_id", "time", "stage_time")
    assert list(stored) == list(AuditEvent.objects.filter(cluster="c2").order_by("id")
                                .values_list("audit_id", "time", "stage_time"))


def test_it_rejects_the_values_the_database_refuses_alone_at_their_lines(tmp_path):
    path = _file(tmp_path / "a.log", _spread(30), bad_line=10)
    ahead = _ingest(path, "c1", ahead=True, ingestor=_Spoiling).report
    alone = _ingest(path, "c2", ahead=False, ingestor=_Spoiling).report
    assert ahead.as_dict() == alone.as_dict() and ahead.rejections == alone.rejections
    refused = ["3", "6"] if connection.vendor == "postgresql" else ["6"]  # SQLite text holds a NUL
    assert [r.position.rsplit(":", 1)[1] for r in ahead.rejections] == sorted([*refused, "10"], key=int)
    assert all(r.reason.startswith("the database refused it: ") for r in ahead.rejections if r.position[-2:] != "10")
    assert ahead.ingested == 30 - len(refused) == AuditEvent.objects.filter(cluster="c1").count()
    assert sum(n for *_key, n in _hourly("c1")) == ahead.ingested


def test_it_keeps_the_per_object_summary_from_the_rows_inserted(tmp_path):
    store = SqlEventStore()
    store.index_objects()  # no events yet: every followed kind covered from here on
    changes = [audit_event(verb=verb, resource="networkpolicies", api_group="networking.k8s.io", namespace="pay",
                           name="web", username=user, time=BASE_TIME + timedelta(minutes=minute))
               for minute, verb, user in ((1, "create", "ann"), (2, "patch", "bob"), (3, "delete", "cy"))]
    path = _file(tmp_path / "a.log", [*_spread(12), changes[0], changes[1], changes[0], changes[2]])
    _ingest(path, "c1", ahead=True)
    _ingest(path, "c2", ahead=False)
    found = {s.cluster: s for s in store.object_summaries(ViewerScope.all(), kinds=[NP])}
    assert found["c1"].changes == 3 and (found["c1"].last_verb, found["c1"].deleted) == ("delete", True)
    assert AuditEvent.objects.get(pk=found["c1"].last_event_id).username == "cy"
    fields = ("first_seen", "last_seen", "changes", "last_verb", "last_user", "deleted")
    assert [getattr(found["c1"], f) for f in fields] == [getattr(found["c2"], f) for f in fields]


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


def test_it_tells_how_far_the_reader_read(tmp_path):
    path = _file(tmp_path / "a.log", _spread(30))
    told: list[int] = []
    with Ingestor(cluster="c1") as ingestor, path.open("rb") as binary:
        ingestor.feed_all(decode_lines(iter(binary.read().decode().splitlines(True)), str(path)),
                          read_position=lambda: 30, on_read=told.append)
    assert ingestor.report.ingested == 30 and told and set(told) == {30}


def test_it_stops_the_reader_and_its_receiving_thread_when_the_store_fails(tmp_path, monkeypatch):
    import multiprocessing
    import threading

    from auditui.events.store import StoreUnavailable
    from auditui.events.store.sql import SqlEventStore

    # The database going away mid-file cannot be staged on an embedded SQLite file (nor inside a
    # test's transaction on PostgreSQL): the store's write raises as it does when the database is
    # unavailable, from its second batch on.
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

"""Celery tasks of the events app (called in-process here; real workers are in test_celery_redis.py)."""

from __future__ import annotations

import gzip
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from auditui.events import services, tasks
from auditui.events.models import AuditEvent, IngestJob
from tests.factories import audit_event

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def queued_job(lines: list[bytes], *, cluster: str = "c1", name: str = "audit.log.gz") -> IngestJob:
    content = io.BytesIO(gzip.compress(b"\n".join(lines) + b"\n"))
    return services.ingest_job_create(cluster=cluster, file_name=name, content=content)


@pytest.fixture
def job(db) -> IngestJob:
    return queued_job([json.dumps(audit_event(name="a")).encode(), b"{broken", json.dumps(audit_event()).encode()])


def test_it_ingests_a_queued_upload(job):
    saved = Path(job.path)
    assert saved.exists()

    tasks.ingest_upload(job.pk)

    job.refresh_from_db()
    assert job.status == IngestJob.Status.DONE
    assert (job.ingested, job.duplicates, job.rejected) == (2, 0, 1)
    assert job.rejections == [f"{saved}:2: invalid JSON: Expecting property name enclosed in double quotes "
                              f"(line 1 column 2 of the record)"]
    assert job.finished_at is not None
    assert AuditEvent.objects.filter(cluster="c1").count() == 2
    assert not saved.exists()  # the upload is removed once ingested


def test_it_claims_a_job_only_once(job):
    first = services.run_ingest_job(job.pk)
    second = services.run_ingest_job(job.pk)

    assert first is not None and first.status == IngestJob.Status.DONE
    assert second is None
    job.refresh_from_db()
    assert (job.status, job.ingested, job.rejected) == (IngestJob.Status.DONE, 2, 1)
    assert AuditEvent.objects.count() == 2


def test_it_leaves_a_job_another_worker_is_running_alone(job):
    IngestJob.objects.filter(pk=job.pk).update(status=IngestJob.Status.RUNNING)

    assert services.run_ingest_job(job.pk) is None

    job.refresh_from_db()
    assert job.status == IngestJob.Status.RUNNING
    assert AuditEvent.objects.count() == 0


def test_it_ignores_a_job_that_no_longer_exists(db):
    assert services.run_ingest_job(987654) is None


def test_it_fails_a_job_whose_file_cannot_be_read(db, tmp_path):
    job = IngestJob.objects.create(cluster="c1", file_name="gone.log", path=str(tmp_path / "gone.log"))

    tasks.ingest_upload(job.pk)

    job.refresh_from_db()
    assert job.status == IngestJob.Status.FAILED
    assert job.error.startswith("cannot read gone.log: ")
    assert "No such file" in job.error
    assert job.finished_at is not None


def test_it_fails_a_job_whose_gzip_is_truncated(db):
    job = queued_job([json.dumps(audit_event()).encode()] * 50)
    data = Path(job.path).read_bytes()
    Path(job.path).write_bytes(data[: len(data) // 2])

    result = services.run_ingest_job(job.pk)

    assert result.status == IngestJob.Status.FAILED
    assert result.error.startswith("cannot read audit.log.gz: ")


def test_it_fails_a_job_whose_gzip_is_corrupt(db):
    job = queued_job([json.dumps(audit_event()).encode()] * 200)
    data = bytearray(Path(job.path).read_bytes())
    for i in range(40, len(data) - 20):
        data[i] ^= 0x5A
    Path(job.path).write_bytes(bytes(data))

    result = services.run_ingest_job(job.pk)

    assert result is not None
    assert result.status == IngestJob.Status.FAILED
    assert result.error.startswith("cannot read audit.log.gz: ")


def old_event(age: timedelta) -> dict:
    return audit_event(name=f"age-{age.days}d-{age.seconds}s", time=NOW - age)


def stored_names() -> list[str]:
    return sorted(AuditEvent.objects.values_list("name", flat=True))


def test_it_purges_events_older_than_a_year_by_default(ingest, time_machine):
    ingest([old_event(timedelta(days=366)), old_event(timedelta(days=364)), old_event(timedelta(hours=1))])
    time_machine.move_to(NOW, tick=False)

    deleted = tasks.purge_expired_events()

    assert deleted == 1
    assert stored_names() == ["age-0d-3600s", "age-364d-0s"]


def test_it_keeps_an_event_exactly_at_the_retention_boundary(ingest, time_machine):
    ingest([old_event(timedelta(days=365)), old_event(timedelta(days=365, seconds=1))])
    time_machine.move_to(NOW, tick=False)

    assert tasks.purge_expired_events() == 1

    assert stored_names() == ["age-365d-0s"]


def test_it_uses_the_configured_retention(ingest, time_machine, settings):
    settings.AUDITUI_RETENTION_DAYS = 30
    ingest([old_event(timedelta(days=31)), old_event(timedelta(days=29))])
    time_machine.move_to(NOW, tick=False)

    assert tasks.purge_expired_events() == 1

    assert stored_names() == ["age-29d-0s"]


def test_it_purges_every_cluster(ingest, time_machine):
    ingest([old_event(timedelta(days=400))], cluster="c1")
    ingest([old_event(timedelta(days=401))], cluster="c2")
    time_machine.move_to(NOW, tick=False)

    assert tasks.purge_expired_events() == 2

    assert AuditEvent.objects.count() == 0


def test_it_purges_nothing_when_everything_is_recent(ingest, time_machine):
    ingest([old_event(timedelta(days=1))])
    time_machine.move_to(NOW, tick=False)

    assert tasks.purge_expired_events() == 0

    assert AuditEvent.objects.count() == 1


def test_it_refreshes_planner_statistics_after_the_nightly_purge(db):
    from django.db import connection

    from auditui.events import services

    services.purge_expired()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
            assert cursor.fetchone()[0] == 1
        else:
            cursor.execute("SELECT last_analyze FROM pg_stat_user_tables WHERE relname = 'events_auditevent'")
            assert cursor.fetchone()[0] is not None


def test_it_fails_a_job_whose_store_cannot_take_events_and_says_why(job, settings):
    from tests.services import closed_port

    port = closed_port()
    settings.EVENT_STORE_URL = f"opensearch://127.0.0.1:{port}"

    tasks.ingest_upload(job.pk)

    job.refresh_from_db()
    assert job.status == IngestJob.Status.FAILED and job.finished_at is not None
    assert job.error.startswith(f"the event store cannot take events: OpenSearch at http://127.0.0.1:{port} cannot")
    assert "Upload the file again" in job.error


@pytest.mark.opensearch
def test_it_leaves_an_upload_searchable_once_the_job_is_done(request, settings, db):
    # Issue 12: with AUDITUI_INDEX_REFRESH=false a finished upload was not searchable yet.
    import uuid

    from auditui.access.scope import ViewerScope
    from auditui.events.store import EventQuery, get_store
    from tests.backends import engine_store_url

    settings.EVENT_STORE_URL = engine_store_url(request, "opensearch")
    settings.AUDITUI_INDEX_PREFIX = f"auditui-test-{uuid.uuid4().hex[:12]}"
    settings.AUDITUI_INDEX_REFRESH = "false"
    store = get_store()
    try:
        job = queued_job([json.dumps(audit_event()).encode() for _ in range(3)], cluster="uploaded")
        assert services.run_ingest_job(job.pk).ingested == 3
        assert store.count(EventQuery(scope=ViewerScope.all(), clusters=("uploaded",))) == 3
    finally:
        store.drop_everything()

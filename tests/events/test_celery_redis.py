"""A real Celery worker ingests an upload end to end: over Redis (production) and over the
embedded filesystem broker (the zero-config default).

The worker runs in a thread of this process. The test database is SQLite's shared-cache
in-memory database, so the worker thread's own connection sees the rows this thread commits
(hence ``transactional_db``: nothing may stay in an uncommitted test transaction).
"""

from __future__ import annotations

import gzip
import io
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.conf import settings
from django.db import OperationalError, connection, transaction
from kombu import pools

from auditui.celery import app
from auditui.events import services
from auditui.events.models import AuditEvent, IngestJob
from auditui.events.tasks import ingest_upload
from tests.factories import audit_event

TIMEOUT = 30.0


def drop_cached_broker_connections() -> None:
    """The app caches its broker connection and producer pools on first use; forget them so that
    the next publish connects to the broker configured now."""
    pools.reset()  # closes and forgets kombu's process-wide connection and producer pools
    app._pool = None
    app.amqp._producer_pool = None


@contextmanager
def broker(url: str, transport_options: dict[str, Any]) -> Iterator[None]:
    saved = (app.conf.broker_url, app.conf.broker_transport_options)
    app.conf.broker_url, app.conf.broker_transport_options = url, transport_options
    drop_cached_broker_connections()
    try:
        yield
    finally:
        app.conf.broker_url, app.conf.broker_transport_options = saved
        drop_cached_broker_connections()


@contextmanager
def worker() -> Iterator[Any]:
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=TIMEOUT) as running:
        yield running


class FinishedTasks:
    """Every ingest task a worker finished during the test, as (task id, state, job id)."""

    def __init__(self) -> None:
        self.all: list[tuple[str, str, Any]] = []

    def record(self, task_id=None, state=None, args=None, **_kwargs) -> None:
        self.all.append((task_id, state, (args or [None])[0]))

    def of(self, job: IngestJob) -> list[tuple[str, str]]:
        """Only this job's: a shared broker may still hold messages of earlier runs."""
        return [(task_id, state) for task_id, state, job_id in self.all if job_id == job.pk]


@pytest.fixture
def finished_tasks() -> Iterator[FinishedTasks]:
    finished = FinishedTasks()
    task_postrun.connect(finished.record, weak=False)
    yield finished
    task_postrun.disconnect(finished.record)


def wait_for(what: str, check: Callable[[], Any]) -> Any:
    deadline = time.monotonic() + TIMEOUT
    while True:
        try:
            value = check()
        except OperationalError:
            # Shared-cache SQLite answers "table is locked" (not "busy") while the worker writes.
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {TIMEOUT:.0f} s waiting for {what}")
        time.sleep(0.05)


def finished_job(finished: FinishedTasks, job: IngestJob, deliveries: int = 1) -> IngestJob:
    """The job once the worker finished ``deliveries`` tasks for it.

    Waits on the worker's task_postrun signal, not by polling the job: in shared-cache SQLite a
    reader's table lock makes the worker's write fail at once ("database table is locked")
    instead of waiting, which a file database in WAL mode (what auditui runs on) never does.
    """
    wait_for(f"{deliveries} task(s) for the job to finish", lambda: len(finished.of(job)) >= deliveries)
    return IngestJob.objects.get(pk=job.pk)


GOOD = [audit_event(name=f"pod-{i}") for i in range(3)]


def upload_content() -> io.BytesIO:
    no_audit_id = audit_event(name="no-id")
    del no_audit_id["auditID"]
    lines = [json.dumps(GOOD[0]), '{"kind": 0}', json.dumps(GOOD[1]), "{not json", json.dumps(no_audit_id),
             json.dumps(GOOD[2])]
    return io.BytesIO(gzip.compress("\n".join(lines).encode() + b"\n"))


def queue_upload(cluster: str) -> IngestJob:
    """Create the job the way the upload page does; the task is published when the transaction commits."""
    with transaction.atomic():
        job = services.ingest_job_create(cluster=cluster, file_name="audit.log.gz", content=upload_content())
    return job


def assert_ingested(job: IngestJob, cluster: str) -> None:
    assert job.status == IngestJob.Status.DONE, job.error
    assert (job.ingested, job.duplicates, job.rejected) == (3, 0, 3)
    assert [r.split(": ", 1)[0].rsplit(":", 1)[1] for r in job.rejections] == ["2", "4", "5"]
    assert "kind is 0" in job.rejections[0]
    assert job.rejections[1].split(": ", 1)[1].startswith("invalid JSON")
    assert "auditID is missing" in job.rejections[2]
    stored = AuditEvent.objects.filter(cluster=cluster)
    assert sorted(stored.values_list("audit_id", flat=True)) == sorted(e["auditID"] for e in GOOD)


def test_it_runs_on_a_database_the_worker_thread_can_see(transactional_db):
    # The premise of this module: an in-memory database shared between connections.
    assert connection.vendor != "sqlite" or "mode=memory&cache=shared" in str(connection.settings_dict["NAME"])


@pytest.mark.redis
def test_it_ingests_an_upload_on_a_real_worker_over_redis(transactional_db, redis_url, finished_tasks):
    with broker(redis_url, {}), worker() as running:
        assert running.consumer.connection.transport.driver_type == "redis"
        job = queue_upload("over-redis")

        done = finished_job(finished_tasks, job)

    assert_ingested(done, "over-redis")
    assert [state for _id, state in finished_tasks.of(job)] == ["SUCCESS"]


@pytest.mark.redis
def test_it_does_not_ingest_twice_when_the_task_is_delivered_again(transactional_db, redis_url, finished_tasks):
    with broker(redis_url, {}), worker():
        job = queue_upload("redelivered")
        first = finished_job(finished_tasks, job)
        first_task_id = finished_tasks.of(job)[0][0]

        again = ingest_upload.apply_async(args=[job.pk], task_id=first_task_id)  # the same message, redelivered
        extra = ingest_upload.delay(job.pk)  # and a duplicate publish
        finished_job(finished_tasks, job, deliveries=3)

    assert again.id == first_task_id
    assert [task_id for task_id, _state in finished_tasks.of(job)] == [first_task_id, first_task_id, extra.id]
    assert all(state == "SUCCESS" for _id, state in finished_tasks.of(job))
    job.refresh_from_db()
    assert_ingested(job, "redelivered")
    assert (job.finished_at, job.ingested, job.rejected) == (first.finished_at, first.ingested, first.rejected)
    assert AuditEvent.objects.count() == 3


@contextmanager
def embedded_broker(tmp_path) -> Iterator[None]:
    """The settings' filesystem broker; when REDIS_URL configures Redis instead, the same transport in tmp_path."""
    if settings.CELERY_BROKER_URL == "filesystem://":
        yield
        return
    folders = {key: tmp_path / key for key in ("out", "processed", "control")}
    for folder in folders.values():
        folder.mkdir()
    options = {"data_folder_in": str(folders["out"]), "data_folder_out": str(folders["out"]),
               "processed_folder": str(folders["processed"]), "store_processed": False,
               "control_folder": str(folders["control"])}
    with broker("filesystem://", options):
        yield


def test_it_ingests_an_upload_on_a_real_worker_over_the_embedded_broker(transactional_db, tmp_path, finished_tasks):
    with embedded_broker(tmp_path), worker() as running:
        assert running.consumer.connection.transport.driver_type == "filesystem"
        job = queue_upload("embedded")

        done = finished_job(finished_tasks, job)

    assert_ingested(done, "embedded")
    assert [state for _id, state in finished_tasks.of(job)] == ["SUCCESS"]

"""Upload jobs whose worker died: found by their silent heartbeat, re-queued, and run to the end
once (in-process here; tests/hostile/test_crash_worker.py kills a real worker)."""

from __future__ import annotations

import gzip
import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from auditui.events import services, tasks
from auditui.events.models import AuditEvent, IngestJob
from tests.factories import audit_event

EVENTS = [audit_event(name=f"pod-{i}") for i in range(5)]


@pytest.fixture
def job(db, django_capture_on_commit_callbacks) -> IngestJob:
    content = io.BytesIO(gzip.compress("\n".join(json.dumps(e) for e in EVENTS).encode()))
    with django_capture_on_commit_callbacks(execute=False):  # no task: the test runs the job itself
        return services.ingest_job_create(cluster="c1", file_name="audit.log.gz", content=content)


def run_dies_after(job: IngestJob, stored: list[dict]) -> IngestJob:
    """What a worker killed mid-file leaves: the job claimed and RUNNING, some events stored."""
    from auditui.events.ingest import ingest_events

    assert services._claim(job.pk) is not None
    ingest_events(stored, cluster=job.cluster)
    IngestJob.objects.filter(pk=job.pk).update(ingested=len(stored))
    return IngestJob.objects.get(pk=job.pk)


def age(job: IngestJob, seconds: float) -> None:
    IngestJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(seconds=seconds))


def test_it_requeues_a_running_job_whose_heartbeat_is_stale_and_finishes_it_exactly(
        job, settings, django_capture_on_commit_callbacks):
    settings.AUDITUI_INGEST_JOB_STALE_S = 300
    run_dies_after(job, EVENTS[:2])
    age(job, 301)

    with django_capture_on_commit_callbacks(execute=False) as published:
        assert services.requeue_stale_jobs() == [job.pk]
    assert len(published) == 1  # the task is sent again
    assert IngestJob.objects.get(pk=job.pk).status == IngestJob.Status.QUEUED
    tasks.ingest_upload(job.pk)  # what the re-sent task does

    job.refresh_from_db()
    assert (job.status, job.attempt, job.ingested, job.duplicates) == (IngestJob.Status.DONE, 2, 3, 2)
    assert AuditEvent.objects.count() == len(EVENTS)
    assert not Path(job.path).exists()


def test_it_leaves_a_running_job_with_a_recent_heartbeat_alone(job, settings):
    settings.AUDITUI_INGEST_JOB_STALE_S = 300
    run_dies_after(job, EVENTS[:1])
    age(job, 299)

    assert services.requeue_stale_jobs() == []
    assert IngestJob.objects.get(pk=job.pk).status == IngestJob.Status.RUNNING


def test_it_fails_a_job_whose_worker_died_too_often_instead_of_retrying_for_ever(job, settings):
    settings.AUDITUI_INGEST_JOB_STALE_S = 1
    for _ in range(services.MAX_JOB_ATTEMPTS - 1):
        run_dies_after(job, [])
        age(job, 5)
        assert services.requeue_stale_jobs() == [job.pk]
    run_dies_after(job, [])
    age(job, 5)

    assert services.requeue_stale_jobs() == []

    job.refresh_from_db()
    assert job.status == IngestJob.Status.FAILED and job.finished_at is not None
    assert job.error.startswith(f"the worker ingesting it stopped {services.MAX_JOB_ATTEMPTS} times")


def test_it_stops_a_superseded_run_at_its_next_batch_without_touching_the_job(job, settings):
    """A worker that was only slow, not dead: its job was re-queued and claimed by another run."""
    settings.AUDITUI_INGEST_BATCH_SIZE = 2
    first_attempt = services._claim(job.pk)
    IngestJob.objects.filter(pk=job.pk).update(status=IngestJob.Status.QUEUED)
    newer_attempt = services._claim(job.pk)

    with pytest.raises(services._Superseded):
        services._record_progress(job.pk, first_attempt, services.IngestReport(ingested=2))

    job.refresh_from_db()
    assert (job.attempt, job.status, job.ingested) == (newer_attempt, IngestJob.Status.RUNNING, 0)


def test_it_requeues_a_failed_job_from_the_admin_action(job, admin, client):
    IngestJob.objects.filter(pk=job.pk).update(status=IngestJob.Status.FAILED, error="the event store cannot…")
    client.force_login(admin)

    response = client.post("/admin/events/ingestjob/", {"action": "requeue", "_selected_action": [job.pk]})

    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == IngestJob.Status.QUEUED and job.finished_at is None
    tasks.ingest_upload(job.pk)
    job.refresh_from_db()
    assert (job.status, job.ingested, job.error) == (IngestJob.Status.DONE, 5, "")


def test_it_sends_again_a_queued_job_whose_message_was_lost_once_per_period(
        job, settings, django_capture_on_commit_callbacks):
    """A worker killed after taking the message and before claiming the job: nobody will run it."""
    settings.AUDITUI_INGEST_JOB_STALE_S = 300
    IngestJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(seconds=301))

    with django_capture_on_commit_callbacks(execute=False) as published:
        assert services.requeue_stale_jobs() == [job.pk]
        assert services.requeue_stale_jobs() == []  # sent again: not again before another period
    assert len(published) == 1
    tasks.ingest_upload(job.pk)

    job.refresh_from_db()
    assert (job.status, job.attempt, job.ingested) == (IngestJob.Status.DONE, 1, len(EVENTS))


def test_it_leaves_a_recently_queued_job_to_its_message(job, settings):
    settings.AUDITUI_INGEST_JOB_STALE_S = 300

    assert services.requeue_stale_jobs() == []
    assert IngestJob.objects.get(pk=job.pk).status == IngestJob.Status.QUEUED


def test_it_checks_for_stale_jobs_every_minute_from_beat():
    from auditui.celery import app

    entry = app.conf.beat_schedule["requeue-stale-ingest-jobs"]

    assert entry["schedule"] == 60.0
    assert entry["task"] == tasks.requeue_stale_ingest_jobs.name

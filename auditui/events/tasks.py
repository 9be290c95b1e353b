"""Celery tasks: thin wrappers that take ids and call a service."""

from __future__ import annotations

from celery import shared_task

from auditui.events import pull, services


@shared_task(name="auditui.events.tasks.ingest_upload")
def ingest_upload(job_id: int) -> None:
    services.run_ingest_job(job_id)


@shared_task(name="auditui.events.tasks.requeue_stale_ingest_jobs")
def requeue_stale_ingest_jobs() -> list[int]:
    return services.requeue_stale_jobs()


@shared_task(name="auditui.events.tasks.purge_expired_events")
def purge_expired_events() -> int:
    return services.purge_expired()


@shared_task(name="auditui.events.tasks.pull_due_sources")
def pull_due_sources() -> int:
    claimed = pull.claim_due_sources()
    for source_id in claimed:
        pull_source.delay(source_id)
    return len(claimed)


@shared_task(name="auditui.events.tasks.pull_source")
def pull_source(source_id: int) -> None:
    pull.run_source(source_id)

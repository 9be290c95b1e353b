"""Celery tasks: thin wrappers that take ids and call a service."""

from __future__ import annotations

from celery import shared_task

from auditui.events import services


@shared_task(name="auditui.events.tasks.ingest_upload")
def ingest_upload(job_id: int) -> None:
    services.run_ingest_job(job_id)


@shared_task(name="auditui.events.tasks.purge_expired_events")
def purge_expired_events() -> int:
    return services.purge_expired()

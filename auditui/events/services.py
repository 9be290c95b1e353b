"""Services around ingest jobs and retention (writes that span models and the store)."""

from __future__ import annotations

import logging
import re
import shutil
import zlib
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from auditui.access import throttle
from auditui.access.scope import scope_for
from auditui.events import provenance
from auditui.events.ingest import IngestReport, ingest_path
from auditui.events.models import IngestJob, SavedSearch
from auditui.events.search_page import SearchState
from auditui.events.store import StoreUnavailable, get_store
from auditui.events.tasks import ingest_upload

log = logging.getLogger(__name__)
UPLOAD_PERMISSION = "events.upload_events"
# What an upload job keeps of each reason: enough to act on, never a record's content.
MAX_REASON_CHARS = 300
# Search engines quote the refused value in their reasons ("Preview of field's value: '…'").
_ENGINE_PREVIEW = re.compile(r"Preview of field's value: (?:'[^']*'|\"[^\"]*\"|\S+)")


def upload_refusal(user, cluster: str) -> str | None:
    """Why ``user`` may not upload into ``cluster`` (None: they may). Uploading writes evidence,
    so it takes the permission and a scope that covers the whole cluster (superusers: always)."""
    if not user.has_perm(UPLOAD_PERMISSION):
        return "You may not upload audit logs: that needs the permission events.upload_events."
    if not scope_for(user).allows_cluster_wide(cluster):
        return (f"Your access scope does not cover all of cluster {cluster}: uploads go only into clusters "
                "whose every namespace you may see.")
    return None


def jobs_for(user) -> QuerySet[IngestJob]:
    """The upload jobs a user sees: those of the clusters their scope covers wholly."""
    return IngestJob.objects.for_scope(scope_for(user)).select_related("created_by")


def job_text(text: str) -> str:
    """A reason as an upload job keeps and shows it: engines' previews of refused values left
    out, and cut short (what is left names the place and the reason, not the record)."""
    text = _ENGINE_PREVIEW.sub("Preview of field's value: (left out)", text)
    return text if len(text) <= MAX_REASON_CHARS else text[:MAX_REASON_CHARS - 1] + "…"


def uploads_dir() -> Path:
    path = Path(settings.DATA_DIR) / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def ingest_job_create(*, cluster: str, file_name: str, content: IO[bytes], user=None) -> IngestJob:
    """Save an uploaded file and queue its ingest on a worker (after the transaction commits)."""
    job = IngestJob.objects.create(cluster=cluster, file_name=Path(file_name).name[:255], path="", created_by=user)
    target = uploads_dir() / f"{job.pk}-{job.file_name}"
    with open(target, "wb") as out:
        shutil.copyfileobj(content, out)
    job.path = str(target)
    job.save(update_fields=["path"])
    transaction.on_commit(lambda: ingest_upload.delay(job.pk))
    return job


# A job whose worker died this many times is failed instead of re-queued again (e.g. a file that
# makes the worker run out of memory would otherwise be retried forever).
MAX_JOB_ATTEMPTS = 3


class _Superseded(Exception):
    """This run's job was re-queued (its worker looked dead) and a newer attempt owns it now."""


def _claim(job_id: int) -> int | None:
    """QUEUED → RUNNING under a new attempt number (optimistic: a concurrent claim updates nothing);
    the attempt, or None when the job is not queued (done, running elsewhere, or gone)."""
    current = IngestJob.objects.filter(pk=job_id, status=IngestJob.Status.QUEUED).values_list(
        "attempt", flat=True).first()
    if current is None:
        return None
    claimed = IngestJob.objects.filter(pk=job_id, status=IngestJob.Status.QUEUED, attempt=current).update(
        status=IngestJob.Status.RUNNING, attempt=current + 1, heartbeat_at=timezone.now(),
        # A new attempt reads the file from the start: what an earlier one stored counts as duplicates.
        ingested=0, duplicates=0, rejected=0, dropped=0, error="",
    )
    return current + 1 if claimed else None


def _record_progress(job_id: int, attempt: int, report: IngestReport) -> None:
    updated = IngestJob.objects.filter(pk=job_id, attempt=attempt, status=IngestJob.Status.RUNNING).update(
        ingested=report.ingested, duplicates=report.duplicates, rejected=report.rejected, dropped=report.dropped,
        heartbeat_at=timezone.now(),
    )
    if not updated:
        raise _Superseded


def _finish(job_id: int, attempt: int, **fields: object) -> bool:
    """The outcome, written only while this run is still the job's current attempt."""
    return bool(IngestJob.objects.filter(pk=job_id, attempt=attempt).update(finished_at=timezone.now(), **fields))


def run_ingest_job(job_id: int) -> IngestJob | None:
    """Ingest a queued upload; claiming it atomically makes a re-delivered task harmless."""
    attempt = _claim(job_id)
    if attempt is None:
        return None
    job = IngestJob.objects.get(pk=job_id)
    try:
        report = ingest_path(job.path, cluster=job.cluster, on_batch=lambda r: _record_progress(job_id, attempt, r),
                             source=provenance.upload(job), searchable=True)
    except _Superseded:
        log.warning("ingest job %s: attempt %s stops, a newer attempt owns the job", job_id, attempt)
        return None
    except (OSError, EOFError, zlib.error) as exc:
        _finish(job_id, attempt, status=IngestJob.Status.FAILED, error=f"cannot read {job.file_name}: {exc}")
    except StoreUnavailable as exc:
        log.warning("ingest job %s: the event store cannot take events: %s", job_id, exc)
        _finish(job_id, attempt, status=IngestJob.Status.FAILED,
                error=job_text(f"the event store cannot take events: {exc}") + (
                    ". Upload the file again when it answers: what was stored counts as duplicates"))
    except Exception as exc:
        # Never leave a job RUNNING forever: record the failure, then let Celery see the error.
        # The message of an unexpected error may quote the record it failed on: the log has it.
        log.exception("ingest job %s failed", job_id)
        _finish(job_id, attempt, status=IngestJob.Status.FAILED,
                error=f"internal error ({type(exc).__name__}); the worker's log has the details")
        raise
    else:
        done = _finish(job_id, attempt, status=IngestJob.Status.DONE, ingested=report.ingested,
                       duplicates=report.duplicates, rejected=report.rejected, dropped=report.dropped,
                       rejections=[job_text(str(r)) for r in report.rejections[:100]])
        if done:  # a newer attempt, if any, still needs the file
            Path(job.path).unlink(missing_ok=True)
    return IngestJob.objects.get(pk=job_id)


def _silent_jobs(now: datetime) -> QuerySet[IngestJob]:
    """QUEUED or RUNNING jobs with no sign of life for AUDITUI_INGEST_JOB_STALE_S."""
    cutoff = now - timedelta(seconds=settings.AUDITUI_INGEST_JOB_STALE_S)
    # A job never claimed (or claimed before heartbeats existed) has none: its creation stands in.
    silent = Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, created_at__lt=cutoff)
    return IngestJob.objects.filter(silent, status__in=(IngestJob.Status.QUEUED, IngestJob.Status.RUNNING))


def requeue_job(job: IngestJob) -> bool:
    """Put a RUNNING or FAILED job back in the queue (its file is kept until it is done); a run
    still going on it stops at its next batch. After MAX_JOB_ATTEMPTS claims a RUNNING job is failed
    instead. Whether it was queued again (not when it changed meanwhile, e.g. its run finished)."""
    if job.status not in (IngestJob.Status.RUNNING, IngestJob.Status.FAILED):
        return False
    unchanged = IngestJob.objects.filter(pk=job.pk, status=job.status, attempt=job.attempt)
    if job.status == IngestJob.Status.RUNNING and job.attempt >= MAX_JOB_ATTEMPTS:
        error = (f"the worker ingesting it stopped {job.attempt} times without finishing (killed, or out of "
                 "memory?); split the file or ask an administrator to check the workers' logs")
        unchanged.update(status=IngestJob.Status.FAILED, error=error, finished_at=timezone.now())
        return False
    if not unchanged.update(status=IngestJob.Status.QUEUED, finished_at=None, heartbeat_at=timezone.now()):
        return False
    _publish(job.pk)
    return True


def _publish(job_id: int) -> None:
    transaction.on_commit(lambda: ingest_upload.delay(job_id))


def _republish(job: IngestJob) -> bool:
    """Send a QUEUED job's task again: its message was lost (a worker killed after taking it and
    before claiming the job, a broker that lost it). A duplicate message is harmless: the claim is
    atomic. Its heartbeat is set, so a job waiting in a long queue is sent again only once a period."""
    if not IngestJob.objects.filter(pk=job.pk, status=IngestJob.Status.QUEUED, attempt=job.attempt,
                                    heartbeat_at=job.heartbeat_at).update(heartbeat_at=timezone.now()):
        return False
    _publish(job.pk)
    return True


def requeue_stale_jobs(now: datetime | None = None) -> list[int]:
    """Re-queue the RUNNING jobs whose worker stopped giving signs of life (killed, lost its
    machine), and send again the tasks of QUEUED jobs nobody took: either would otherwise stay so
    for ever (beat runs this every minute)."""
    requeued = []
    for job in _silent_jobs(now or timezone.now()):
        log.warning("ingest job %s (%s, attempt %s) has been silent since %s: sending it to a worker again",
                    job.pk, job.status, job.attempt, job.heartbeat_at or job.created_at)
        again = _republish(job) if job.status == IngestJob.Status.QUEUED else requeue_job(job)
        if again:
            requeued.append(job.pk)
    return requeued


def retention_cutoff(now: datetime | None = None) -> datetime:
    return (now or timezone.now()) - timedelta(days=settings.AUDITUI_RETENTION_DAYS)


def purge_expired(now: datetime | None = None) -> int:
    """Nightly maintenance: drop what is past retention (the per-object summary follows), bring
    the store's object indexes up to date (after an upgrade, or a kind followed since), then
    refresh the planner's statistics."""
    cutoff = retention_cutoff(now)
    store = get_store()
    deleted = store.purge(before=cutoff)
    log.info("purged %d events older than %s", deleted, cutoff.isoformat())
    indexed = store.index_objects()
    if indexed:
        log.info("indexed %d object-days and per-object summary entries the store lacked", indexed)
    throttle.purge_stale()
    refresh_statistics()
    return deleted


def refresh_statistics() -> None:
    """ANALYZE the SQL database: SQLite never gathers statistics on its own, and without them it
    picks poor indexes for some searches (e.g. failed requests over a week)."""
    if connection.vendor in ("sqlite", "postgresql"):
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def saved_search_save(*, owner, name: str, params: Mapping) -> SavedSearch:
    """Save (or overwrite, by name) the owner's search; the page state only, never a cursor."""
    querystring = SearchState.from_params(params).querystring(cursor="")
    saved, _created = SavedSearch.objects.update_or_create(owner=owner, name=name,
                                                           defaults={"params": querystring})
    return saved


def saved_search_delete(saved: SavedSearch) -> None:
    saved.delete()

"""Services around ingest jobs and retention (writes that span models and the store)."""

from __future__ import annotations

import logging
import shutil
import zlib
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from auditui.events.ingest import IngestReport, ingest_path
from auditui.events.models import IngestJob
from auditui.events.store import StoreUnavailable, get_store

log = logging.getLogger(__name__)


def uploads_dir() -> Path:
    path = Path(settings.DATA_DIR) / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def ingest_job_create(*, cluster: str, file_name: str, content: IO[bytes], user=None) -> IngestJob:
    """Save an uploaded file and queue its ingest on a worker (after the transaction commits)."""
    from auditui.events.tasks import ingest_upload

    job = IngestJob.objects.create(cluster=cluster, file_name=Path(file_name).name[:255], path="", created_by=user)
    target = uploads_dir() / f"{job.pk}-{job.file_name}"
    with open(target, "wb") as out:
        shutil.copyfileobj(content, out)
    job.path = str(target)
    job.save(update_fields=["path"])
    transaction.on_commit(lambda: ingest_upload.delay(job.pk))
    return job


def _record_progress(job_id: int, report: IngestReport) -> None:
    IngestJob.objects.filter(pk=job_id).update(
        ingested=report.ingested, duplicates=report.duplicates, rejected=report.rejected, dropped=report.dropped
    )


def run_ingest_job(job_id: int) -> IngestJob | None:
    """Ingest a queued upload; claiming it atomically makes a re-delivered task harmless."""
    claimed = IngestJob.objects.filter(pk=job_id, status=IngestJob.Status.QUEUED).update(
        status=IngestJob.Status.RUNNING
    )
    if not claimed:
        return None
    job = IngestJob.objects.get(pk=job_id)
    try:
        report = ingest_path(job.path, cluster=job.cluster, on_batch=lambda r: _record_progress(job_id, r),
                             searchable=True)
    except (OSError, EOFError, zlib.error) as exc:
        job.status, job.error = IngestJob.Status.FAILED, f"cannot read {job.file_name}: {exc}"
    except StoreUnavailable as exc:
        log.warning("ingest job %s: the event store cannot take events: %s", job_id, exc)
        job.refresh_from_db(fields=["ingested", "duplicates", "rejected", "dropped"])  # progress so far
        job.status = IngestJob.Status.FAILED
        job.error = (f"the event store cannot take events: {exc}. Upload the file again when it answers: "
                     "what was stored counts as duplicates")
    except Exception as exc:
        # Never leave a job RUNNING forever: record the failure, then let Celery see the error.
        log.exception("ingest job %s failed", job_id)
        IngestJob.objects.filter(pk=job_id).update(
            status=IngestJob.Status.FAILED, error=f"internal error: {exc}", finished_at=timezone.now()
        )
        raise
    else:
        job.status = IngestJob.Status.DONE
        job.ingested, job.duplicates = report.ingested, report.duplicates
        job.rejected, job.dropped = report.rejected, report.dropped
        job.rejections = [str(r) for r in report.rejections[:100]]
        Path(job.path).unlink(missing_ok=True)
    job.finished_at = timezone.now()
    job.save()
    return job


def retention_cutoff(now: datetime | None = None) -> datetime:
    return (now or timezone.now()) - timedelta(days=settings.AUDITUI_RETENTION_DAYS)


def purge_expired(now: datetime | None = None) -> int:
    """Nightly maintenance: drop what is past retention, bring the store's object index up to
    date (after an upgrade), then refresh the planner's statistics."""
    cutoff = retention_cutoff(now)
    store = get_store()
    deleted = store.purge(before=cutoff)
    log.info("purged %d events older than %s", deleted, cutoff.isoformat())
    indexed = store.index_objects()
    if indexed:
        log.info("indexed the days of %d objects stored before the object index existed", indexed)
    refresh_statistics()
    return deleted


def refresh_statistics() -> None:
    """ANALYZE the SQL database: SQLite never gathers statistics on its own, and without them it
    picks poor indexes for some searches (e.g. failed requests over a week)."""
    from django.db import connection

    if connection.vendor in ("sqlite", "postgresql"):
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

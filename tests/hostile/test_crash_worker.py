"""A Celery worker killed (SIGKILL) in the middle of an upload: the job it leaves RUNNING is found
by its silent heartbeat and re-queued (what beat does every minute), another worker ingests the
file again, and every event ends up stored exactly once, with the job DONE and its counts exact."""

from __future__ import annotations

import sys
import time

import pytest

from tests.hostile.processes import Installation, kill, wait_until

WORKER = [sys.executable, "-m", "celery", "-A", "auditui", "worker", "--pool", "solo", "--without-heartbeat",
          "--without-gossip", "--without-mingle", "--loglevel", "WARNING"]
QUEUE_UPLOAD = """
from auditui.events import services
with open({path!r}, "rb") as content:
    print(services.ingest_job_create(cluster="crash", file_name="audit.log", content=content).pk)
"""
REQUEUE_STALE = "from auditui.events.tasks import requeue_stale_ingest_jobs; print(requeue_stale_ingest_jobs())"


def job_row(installation: Installation, job_id: int) -> dict:
    columns = ("status", "ingested", "duplicates", "rejected", "attempt", "error")
    row = installation.sql(f"SELECT {', '.join(columns)} FROM events_ingestjob WHERE id = ?", job_id)[0]
    return dict(zip(columns, row, strict=True))


@pytest.mark.slow
def test_it_ingests_an_upload_exactly_once_after_its_worker_is_killed_mid_file(
        installation: Installation, simulated_file, tmp_path):
    path, identities = simulated_file
    installation.extra_env.update(AUDITUI_INGEST_BATCH_SIZE="250", AUDITUI_INGEST_JOB_STALE_S="1")
    worker = installation.spawn(WORKER, log=tmp_path / "worker-1.log")
    job_id = int(installation.manage("shell", "-c", QUEUE_UPLOAD.format(path=str(path))).stdout.split()[-1])

    wait_until("the worker to store a tenth of the upload",
               lambda: job_row(installation, job_id)["ingested"] >= len(identities) // 10, timeout=60)
    kill(worker)

    left = job_row(installation, job_id)
    assert left["status"] == "running", (tmp_path / "worker-1.log").read_text()[-2000:]
    stored_by_first = installation.stored_when_settled()
    assert 0 < stored_by_first < len(identities)

    time.sleep(1.1)  # the job's heartbeat goes stale (AUDITUI_INGEST_JOB_STALE_S=1)
    assert installation.manage("shell", "-c", REQUEUE_STALE).stdout.split()[-1] == f"[{job_id}]"
    assert job_row(installation, job_id)["status"] == "queued"
    second_worker = installation.spawn(WORKER, log=tmp_path / "worker-2.log")
    try:
        wait_until("the job to finish", lambda: job_row(installation, job_id)["status"] != "queued"
                   and job_row(installation, job_id)["status"] != "running", timeout=90, every=0.2)
    finally:
        kill(second_worker)

    assert job_row(installation, job_id) == {
        "status": "done", "ingested": len(identities) - stored_by_first, "duplicates": stored_by_first,
        "rejected": 0, "attempt": 2, "error": ""}
    assert installation.stored() == len(identities)
    installation.assert_counts_agree()
    if installation.store_url == "sql":
        rows = installation.sql("SELECT audit_id || '/' || stage FROM events_auditevent WHERE cluster = 'crash'")
        assert {row[0] for row in rows} == identities
    assert not (installation.data_dir / "uploads" / f"{job_id}-audit.log").exists()  # removed once done

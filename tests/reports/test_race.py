"""Several beats and workers at once, as separate processes on one file SQLite database (as in
production: WAL, a busy timeout, BEGIN IMMEDIATE): every interval is planned once, claimed once,
generated once."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta

import pytest

from tests.hostile.processes import Installation

REPORT = """\
apiVersion: projectcalico.org/v3
kind: GlobalReport
metadata: {name: hourly-activity}
spec: {reportType: activity-summary, schedule: "0 * * * *"}
"""
WORKERS = 6
DISPATCH = "from reports import tasks; print(tasks.dispatch_due_reports())"


@pytest.fixture
def site(tmp_path, migrated_database) -> Installation:
    import shutil

    data_dir = tmp_path / "data"
    data_dir.mkdir()
    shutil.copy(migrated_database, data_dir / "auditui.sqlite3")
    return Installation(data_dir, extra_env={"CELERY_TASK_ALWAYS_EAGER": "true", "AUDITUI_REPORT_DELAY": "0s"})


def test_it_generates_each_interval_once_when_beats_and_workers_race(site, tmp_path):
    (tmp_path / "report.yaml").write_text(REPORT)
    site.manage("apply", "-f", str(tmp_path / "report.yaml"))
    created = (datetime.now(UTC) - timedelta(hours=2, minutes=30)).strftime("%Y-%m-%d %H:%M:%S")
    site.sql("UPDATE reports_globalreport SET created = ?", created)
    workers = [site.spawn([sys.executable, "manage.py", "shell", "-c", DISPATCH], log=tmp_path / f"worker{n}.log")
               for n in range(WORKERS)]
    assert [worker.wait(timeout=120) for worker in workers] == [0] * WORKERS, [
        (tmp_path / f"worker{n}.log").read_text()[-2000:] for n in range(WORKERS)]
    runs = site.sql("SELECT start, state, attempts FROM reports_reportrun ORDER BY start")
    assert len(runs) in (2, 3)  # the intervals that ended: two or three hours, depending on the minute
    assert {(state, attempts) for _, state, attempts in runs} == {("succeeded", 1)}
    assert len({start for start, _, _ in runs}) == len(runs)

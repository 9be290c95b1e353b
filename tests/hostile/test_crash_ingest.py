"""``manage.py ingest`` killed (SIGKILL) in the middle of a file, then run again: every event of
the file is stored exactly once, and the second run accounts for each one (ingested or duplicate)."""

from __future__ import annotations

import sys

import pytest

from tests.hostile.processes import Installation, kill, last_json_line, wait_until

# Small batches: many commits, so that the kill lands between and inside writes.
BATCH = "250"


@pytest.mark.slow
def test_it_stores_every_event_once_when_ingest_is_killed_mid_file_and_run_again(
        installation: Installation, simulated_file, tmp_path):
    path, identities = simulated_file
    argv = [sys.executable, "manage.py", "ingest", "--cluster", "crash", "--json", "--batch-size", BATCH, str(path)]
    first = installation.spawn(argv, log=tmp_path / "first.log")

    wait_until("the first run to store a tenth of the file", lambda: installation.stored() >= len(identities) // 10
               or first.poll() is not None)
    kill(first)

    assert first.returncode == -9, (tmp_path / "first.log").read_text()[-2000:]  # killed, not finished
    stored_by_first = installation.stored_when_settled()
    assert 0 < stored_by_first < len(identities)

    second = last_json_line(installation.manage("ingest", "--cluster", "crash", "--json", "--batch-size", BATCH,
                                                str(path)).stdout)

    assert second == {"ingested": len(identities) - stored_by_first, "duplicates": stored_by_first,
                      "rejected": 0, "dropped": 0}
    assert installation.stored() == len(identities)
    installation.assert_counts_agree()
    if installation.store_url == "sql":
        rows = installation.sql("SELECT audit_id || '/' || stage FROM events_auditevent WHERE cluster = 'crash'")
        assert {row[0] for row in rows} == identities

"""bench/ingest.py keeps its contract (issue 13): the naive baseline and auditui's ingest of the
same events from files in one run, with the peak RSS of the ingesting process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.mark.slow
def test_it_prints_auditui_beside_the_naive_baseline_on_its_json_line(tmp_path):
    run = subprocess.run(
        [sys.executable, "bench/ingest.py", "--events", "400", "--store", "sql", "--json", "--data-dir", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert run.returncode == 0, run.stderr
    figures = json.loads(run.stdout.strip().splitlines()[-1])
    assert figures["events_per_s"] > 0 and figures["baseline_events_per_s"] > 0
    assert 10 < figures["peak_rss_mb"] < 1000
    assert figures["sql_in_memory_events_per_s"] > 0
    stored = {row["store"]: row["events"] for row in figures["results"]}
    assert stored == {"naive baseline": figures["events"], "sql": figures["events"], "sql in memory": figures["events"]}

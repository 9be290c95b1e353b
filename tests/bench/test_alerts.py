"""bench/alerts.py keeps its contract: one round of 200 rules on a store, figures as JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.mark.slow
def test_it_times_a_round_of_two_hundred_rules_on_its_json_line(tmp_path):
    run = subprocess.run(
        [sys.executable, "bench/alerts.py", "--events", "3000", "--runs", "1", "--store", "sql", "--json",
         "--data-dir", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert run.returncode == 0, run.stderr
    figures = json.loads(run.stdout.strip().splitlines()[-1])
    rounds = figures["stores"]["sql"]
    assert [r["name"] for r in rounds] == ["one round, 200 rules, lookback 10m", "one round, 200 rules, lookback 6h"]
    assert all(r["detail"].startswith("200 rules") and r["p50_ms"] > 0 for r in rounds)

"""PostgreSQL for the benchmarks: the SQL store on a PostgreSQL server, printed beside the others.

Django chooses its database once per process, so a benchmark measures ``--store postgresql`` by
running itself again for the SQL store in a child process whose ``DATABASE_URL`` names a
PostgreSQL database, and reads the figures back from the child's JSON. The database is a
throw-away server started here with tools/postgres-test.sh (Debian's postgresql packages, as in
CI; fsync off, as the test server is), or ``BENCH_POSTGRES_URL``: a database the benchmark may
fill and empty.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from bench.common import ROOT


@contextlib.contextmanager
def postgres_url() -> Iterator[str]:
    given = os.environ.get("BENCH_POSTGRES_URL", "").strip()
    if given:
        yield given
        return
    # Its own state file: CI's suite may have a server of its own running.
    with tempfile.TemporaryDirectory(prefix="auditui-bench-pg-") as home:
        env = {**os.environ, "AUDITUI_PG_STATE": str(Path(home) / "state")}
        script = str(ROOT / "tools" / "postgres-test.sh")
        started = subprocess.run(["bash", script, "start"], env=env, capture_output=True, text=True)
        if started.returncode != 0:
            raise SystemExit(f"--store postgresql: could not start PostgreSQL ({started.stderr.strip()}); "
                             "install Debian's postgresql or set BENCH_POSTGRES_URL")
        try:
            yield started.stdout.strip().splitlines()[-1]
        finally:
            subprocess.run(["bash", script, "stop"], env=env, capture_output=True)


def measure_in_child(script: Path, argv: list[str], database_url: str) -> dict:
    """Run ``script`` with ``argv`` for the SQL store on ``database_url``; its JSON figures. Its
    progress and tables go to standard error, as the parent's do with --json."""
    env = {**os.environ, "DATABASE_URL": database_url}
    child = subprocess.run([sys.executable, str(script), *argv, "--store", "sql", "--json"],
                           env=env, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    if child.returncode != 0:
        raise SystemExit(f"--store postgresql: {script.name} failed on PostgreSQL (exit {child.returncode})")
    return json.loads(child.stdout.strip().splitlines()[-1])


def is_postgresql() -> bool:
    from django.db import connection

    return connection.vendor == "postgresql"


def store_label(name: str) -> str:
    """What a store's figures are called: the SQL store on PostgreSQL (a child measuring
    ``--store postgresql``) is "postgresql"."""
    return "postgresql" if name == "sql" and is_postgresql() else name


def child_argv(argv: list[str], data_dir: Path) -> list[str]:
    """The parent's options for the child: without --store and --json (the child's own), and
    with a data directory of its own (its dataset marker must not claim SQLite's store)."""
    out: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
            continue
        if arg in ("--store", "--data-dir"):
            skip = True
            continue
        if arg == "--json" or arg.startswith(("--store=", "--data-dir=")):
            continue
        out.append(arg)
    return [*out, "--data-dir", str(data_dir)]


def child_figures(data_dir: Path) -> dict:
    """The running benchmark's figures for the SQL store on PostgreSQL (``--store postgresql``):
    what its --json prints, from a child process on a PostgreSQL database."""
    script = Path(sys.argv[0]).resolve()
    with postgres_url() as url:
        return measure_in_child(script, child_argv(sys.argv[1:], Path(f"{data_dir}-postgresql")), url)


def timings_from(rows: list[dict]) -> list:
    """Timings back from their JSON (``Timing.as_dict``)."""
    from bench.common import Timing

    return [Timing(t["name"], t["p50_ms"], t["p95_ms"], t["runs"], t["target_ms"], t["detail"]) for t in rows]

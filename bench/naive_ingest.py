"""The naive ingest script that auditui's ingest is measured against (issues 13 and 18): what
anyone would write in an afternoon with the standard library alone.

    python bench/naive_ingest.py --schema-from AUDITUI.sqlite3 --db OUT.sqlite3 CLUSTER=FILE.jsonl … [--json]

``json.loads`` per line, the indexed columns pulled out by hand, ``sqlite3.executemany`` of
``INSERT OR IGNORE`` in 10,000-row transactions into a copy of auditui's events table with the
same indexes (its DDL read from a migrated auditui database), and no triggers (auditui keeps its
hourly counts through triggers; this script has none). Prints events per second, CPU and the
peak RSS of this process. No Django, no auditui code.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

TABLE = "events_auditevent"
TRANSACTION_ROWS = 10_000
COLUMNS = (
    "cluster", "audit_id", "stage", "time", "stage_time", "level", "verb", "username", "user_groups",
    "impersonated_user", "source_ips", "user_agent", "resource", "subresource", "api_group", "api_version",
    "namespace", "name", "uid", "response_code", "decision", "request_uri", "has_request_object",
    "has_response_object", "raw", "ingested_at",
)
INSERT = f"INSERT OR IGNORE INTO {TABLE} ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"


def copy_schema(source: Path, target: sqlite3.Connection) -> None:
    """auditui's events table and its indexes (not its triggers), from a migrated database."""
    with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as auditui:
        ddl = auditui.execute(
            "SELECT sql FROM sqlite_master WHERE tbl_name = ? AND type IN ('table', 'index') AND sql IS NOT NULL "
            "ORDER BY type = 'index'", (TABLE,)
        ).fetchall()
    for (statement,) in ddl:
        target.execute(statement)


def sql_time(value: str | None) -> str | None:
    """RFC3339 ``2026-10-31T12:00:00.123456Z`` as Django stores it on SQLite."""
    return value.replace("T", " ").rstrip("Z") if value else None


def row(cluster: str, line: str, now: str) -> tuple:
    event = json.loads(line)
    user = event.get("user") or {}
    ref = event.get("objectRef") or {}
    status = event.get("responseStatus") or {}
    annotations = event.get("annotations") or {}
    time_ = event.get("requestReceivedTimestamp") or event.get("stageTimestamp")
    return (
        cluster, event["auditID"], event["stage"], sql_time(time_), sql_time(event.get("stageTimestamp")),
        event.get("level", ""), event.get("verb", ""), user.get("username", ""),
        json.dumps(user.get("groups", [])), (event.get("impersonatedUser") or {}).get("username", ""),
        json.dumps(event.get("sourceIPs", [])), event.get("userAgent", ""), ref.get("resource", ""),
        ref.get("subresource", ""), ref.get("apiGroup", ""), ref.get("apiVersion", ""), ref.get("namespace", ""),
        ref.get("name", ""), ref.get("uid", ""), status.get("code"),
        annotations.get("authorization.k8s.io/decision", ""), event.get("requestURI", ""),
        event.get("requestObject") is not None, event.get("responseObject") is not None, line, now,
    )


def rows(files: list[tuple[str, Path]]) -> Iterator[tuple]:
    now = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
    for cluster, path in files:
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                if line.strip():
                    yield row(cluster, line.rstrip("\n"), now)


def ingest(db: sqlite3.Connection, files: list[tuple[str, Path]]) -> int:
    """Every event of ``files`` into ``db``; the number stored."""
    batch: list[tuple] = []
    for values in rows(files):
        batch.append(values)
        if len(batch) == TRANSACTION_ROWS:
            with db:
                db.executemany(INSERT, batch)
            batch = []
    with db:
        db.executemany(INSERT, batch)
    return db.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0]


def peak_rss_mb() -> float:
    """This process's peak RSS (Linux). Not getrusage's ru_maxrss: Linux keeps that across
    fork and exec, so a child started by a big parent would report the parent's."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--schema-from", type=Path, required=True, help="a migrated auditui SQLite database")
    parser.add_argument("--db", type=Path, required=True, help="the database to create (replaced)")
    parser.add_argument("files", nargs="+", metavar="CLUSTER=FILE", help="JSON Lines, one file per cluster")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    files = [(cluster, Path(path)) for cluster, _, path in (spec.partition("=") for spec in args.files)]
    args.db.unlink(missing_ok=True)
    db = sqlite3.connect(args.db)
    copy_schema(args.schema_from, db)
    cpu, started = time.process_time(), time.perf_counter()
    stored = ingest(db, files)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    figures = {"events": stored, "seconds": round(seconds, 2), "rate": round(stored / seconds),
               "ingest_cpu_us": round(cpu / stored * 1e6, 1), "peak_rss_mb": round(peak_rss_mb(), 1)}
    print(json.dumps(figures) if args.json else figures)


if __name__ == "__main__":
    main()

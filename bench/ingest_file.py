"""auditui's ingest of files from disk, through the code of ``manage.py ingest`` (issue 18), in a
process of its own so that its peak RSS is the ingest's alone. Run by bench/ingest.py:

    python bench/ingest_file.py --data-dir DIR [--batch-size N] CLUSTER=FILE.jsonl …

A fresh store in ``DIR`` (migrated before the clock starts; on PostgreSQL, ``DATABASE_URL``, the
database is emptied first), then ``ingest --cluster CLUSTER --json FILE`` for each file through
``call_command``: the command's own reading, decoding, normalising and writing, without the
Python and Django start-up of one process per file. Prints the figures as JSON on the last line.
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import setup_django  # noqa: E402
from bench.engines import process_cpu_seconds  # noqa: E402
from bench.naive_ingest import peak_rss_mb  # noqa: E402
from bench.postgres import is_postgresql, store_label  # noqa: E402


def ingest_files(files: list[tuple[str, str]], batch_size: int | None) -> int:
    """``manage.py ingest --cluster C --json FILE`` for each file; the number of events stored."""
    from django.core.management import call_command

    stored = 0
    for cluster, path in files:
        out = io.StringIO()
        options = {"cluster": cluster, "json": True, "stdout": out, "stderr": io.StringIO()}
        if batch_size:
            options["batch_size"] = batch_size
        call_command("ingest", path, **options)
        stored += json.loads(out.getvalue().strip().splitlines()[-1])["ingested"]
    return stored


def children_cpu_seconds() -> float:
    """CPU of the ended child processes: the reader process of each file (auditui.events.ingest_ahead)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def server_pid() -> int | None:
    """The PostgreSQL process serving this connection (its CPU is the database's share)."""
    if not is_postgresql():
        return None
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True, help="the store's directory, emptied first")
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("files", nargs="+", metavar="CLUSTER=FILE")
    args = parser.parse_args()
    files = [(cluster, path) for cluster, _, path in (spec.partition("=") for spec in args.files)]
    shutil.rmtree(args.data_dir, ignore_errors=True)
    setup_django(args.data_dir)
    if is_postgresql():
        from django.core.management import call_command

        call_command("flush", interactive=False, verbosity=0)
    pid = server_pid()
    server = process_cpu_seconds(pid) if pid else 0.0
    cpu, started, children = time.process_time(), time.perf_counter(), children_cpu_seconds()
    stored = ingest_files(files, args.batch_size)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    reader_cpu = children_cpu_seconds() - children
    server_us = round((process_cpu_seconds(pid) - server) / stored * 1e6, 1) if pid else None
    rss = peak_rss_mb()
    print(json.dumps({"store": store_label("sql"), "events": stored, "seconds": round(seconds, 2),
                      "rate": round(stored / seconds), "ingest_cpu_us": round(cpu / stored * 1e6, 1),
                      "reader_cpu_us": round(reader_cpu / stored * 1e6, 1),
                      "node_cpu_us": server_us, "peak_rss_mb": round(rss, 1)}))


if __name__ == "__main__":
    main()

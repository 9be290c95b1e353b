"""The reader side of ``manage.py ingest`` into SQLite alone (issue 18): what the forked reader
process of ``auditui/events/ingest_ahead.py`` does for each event of a file, without the writer.

    .venv/bin/python bench/ingest_reader.py FILE.jsonl… [--profile]

It runs the reader's own loop (``ingest_ahead._produce``: decode, normalise, drop rules, build
the rows, pickle the messages) over each file with the pipe replaced by a counter, and prints the
CPU per event of the whole loop (best of 3), then of each stage on its own (decoding; normalising
a fresh copy of each event, the copy's cost taken off; building rows; pickling the messages).
``--profile`` adds cProfile's top entries by own time. Files as bench/ingest.py writes them
(``bench/out/ingest-sql/files/*.jsonl`` after a run of it).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, setup_django  # noqa: E402


class CountingPipe:
    """Stands for the pipe's sending end: counts the bytes the reader would send."""

    def __init__(self) -> None:
        self.sent = 0

    def send_bytes(self, data: bytes) -> None:
        self.sent += len(data)

    def close(self) -> None:
        pass


def read_all(paths: list[str]) -> int:
    """The reader process's loop over every file; the number of documents read."""
    from auditui.events import ingest_ahead
    from auditui.events.ingest import Ingestor
    from auditui.events.reader import byte_lines, decode_lines, open_binary

    count = 0

    def counted(documents):
        nonlocal count
        for document in documents:
            count += 1
            yield document

    for path in paths:
        with open_binary(path) as binary:
            documents = counted(decode_lines(byte_lines(binary), path))
            ingest_ahead._produce(CountingPipe(), documents, Ingestor(cluster="bench"), None)
    return count


def cpu_us(run: Callable[[], object], events: int, repeat: int = 3) -> float:
    """CPU µs per event of ``run``, the best of ``repeat``."""
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        run()
        best = min(best, time.process_time() - started)
    return best / events * 1e6


def stages(path: str) -> dict[str, float]:
    """CPU µs per event of each stage on its own, over one file."""
    from auditui.events import ingest_ahead
    from auditui.events.ingest import Ingestor
    from auditui.events.normalize import normalize_event
    from auditui.events.object_summary import followed_kinds
    from auditui.events.reader import byte_lines, decode_lines
    from auditui.events.store.sql_write import prepare_row, prepared_now

    data = Path(path).read_bytes()
    documents = list(decode_lines(byte_lines(io.BytesIO(data)), path))
    events = len(documents)
    ingestor = Ingestor(cluster="bench")
    records = [ingestor.prepare(document) for document in documents]
    now, kinds = prepared_now(), followed_kinds()
    rows = [[d.position, tuple(prepare_row(r, now, kinds))] for d, r in zip(documents, records, strict=True)]
    copy = cpu_us(lambda: [orjson.loads(orjson.dumps(d.value)) for d in documents], events)
    normalised = cpu_us(lambda: [normalize_event(orjson.loads(orjson.dumps(d.value)), cluster="bench", safe=True)
                                 for d in documents], events)
    size = ingest_ahead.MESSAGE_RECORDS
    return {
        # Consumed, not kept: a list of every event would time the garbage collector's walks.
        "decode": cpu_us(lambda: deque(decode_lines(byte_lines(io.BytesIO(data)), path), maxlen=0), events),
        "normalise": normalised - copy,
        "rows": cpu_us(lambda: [prepare_row(r, now, kinds) for r in records], events),
        "pickle": cpu_us(lambda: [ingest_ahead._dumps(("rows", rows[i:i + size], None, None))
                                  for i in range(0, events, size)], events),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="+")
    parser.add_argument("--profile", action="store_true", help="also print cProfile's top 30 by own time")
    args = parser.parse_args()
    setup_django(ROOT / "bench" / "out" / "ingest-reader")
    events = read_all(args.files)  # warm: imports, the drop rules, the kinds
    print(f"{events:,} events; reader loop {cpu_us(lambda: read_all(args.files), events):.1f} µs/event CPU")
    for stage, figure in stages(args.files[0]).items():
        print(f"  {stage:<10} {figure:5.1f} µs/event (on its own, {Path(args.files[0]).name})")
    if args.profile:
        profile = cProfile.Profile()
        profile.runcall(read_all, args.files)
        pstats.Stats(profile).sort_stats("tottime").print_stats(30)


if __name__ == "__main__":
    main()

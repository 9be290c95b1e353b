"""``manage.py simulate``: realistic, reproducible audit activity, as JSON Lines or into the store."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

import orjson
from django.core.management.base import BaseCommand, CommandError

from auditui.events import provenance
from auditui.events.ingest import ingest_events
from auditui.events.simulator import default_cluster_names, is_policy_change, simulate_cluster

WRITE_CHUNK = 1000
PROGRESS_EVERY = 5.0  # seconds between progress lines on stderr


class Tally:
    """Counts what passes through (events, policy changes) and reports progress on long runs."""

    def __init__(self, cluster: str, start: datetime, days: float, stream) -> None:
        self.cluster, self.start, self.days, self.stream = cluster, start, days, stream
        self.events = 0
        self.policy_changes = 0
        self._next_report = time.monotonic() + PROGRESS_EVERY

    def count(self, events: Iterator[dict]) -> Iterator[dict]:
        for event in events:
            self.events += 1
            if is_policy_change(event):
                self.policy_changes += 1
            if not self.events % 4096 and time.monotonic() >= self._next_report:
                self._report(event)
            yield event

    def _report(self, event: dict) -> None:
        self._next_report = time.monotonic() + PROGRESS_EVERY
        at = datetime.fromisoformat(event["requestReceivedTimestamp"])
        done = (at - self.start) / timedelta(days=self.days) if self.days else 1.0
        self.stream.write(f"{self.cluster}: {self.events:,} events, {done:.0%} of the simulated time\n")
        self.stream.flush()

    def summary(self) -> str:
        return f"cluster {self.cluster}: {self.events:,} events, {self.policy_changes:,} policy changes"


def parse_start(value: str | None, days: float) -> datetime:
    """``--start`` as an aware UTC datetime; by default ``days`` ago, on the minute."""
    if value is None:
        start = datetime.now(UTC) - timedelta(days=days)
        return start.replace(second=0, microsecond=0)
    try:
        start = datetime.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--start {value!r} is not an ISO 8601 time (e.g. 2026-11-20T00:00:00Z)") from exc
    return start.replace(tzinfo=UTC) if start.tzinfo is None else start.astimezone(UTC)


def write_jsonl(events: Iterator[dict], sink: BinaryIO) -> None:
    lines: list[bytes] = []
    for event in events:
        lines.append(orjson.dumps(event))
        if len(lines) >= WRITE_CHUNK:
            sink.write(b"\n".join(lines) + b"\n")
            lines = []
    if lines:
        sink.write(b"\n".join(lines) + b"\n")


class Command(BaseCommand):
    help = "Simulate Kubernetes audit activity (deterministic per seed): write JSON Lines or ingest it."

    def add_arguments(self, parser) -> None:
        which = parser.add_mutually_exclusive_group()
        which.add_argument(
            "--clusters",
            type=int,
            metavar="N",
            help="simulate N clusters: prod-eu, prod-us, staging, cluster-4, ... (default 1)",
        )
        which.add_argument(
            "--cluster", action="append", metavar="NAME", help="a cluster by name (repeatable)"
        )
        parser.add_argument("--days", type=float, default=1.0, help="simulated time span (default 1)")
        parser.add_argument(
            "--events-per-second",
            type=float,
            default=1.0,
            metavar="R",
            help="average events per second per cluster over a day (default 1)",
        )
        parser.add_argument(
            "--seed", type=int, default=42, help="the same seed gives the same events (default 42)"
        )
        parser.add_argument(
            "--start", metavar="ISO", help="start of the simulated time (default: now minus --days)"
        )
        target = parser.add_mutually_exclusive_group()
        target.add_argument(
            "--output",
            metavar="PATH",
            help="a directory (one PATH/<cluster>.jsonl each), a file or - (one cluster only)",
        )
        target.add_argument("--ingest", action="store_true", help="feed the events to the event store")

    def handle(self, *args, **options) -> None:
        clusters = options["cluster"] or default_cluster_names(options["clusters"] or 1)
        if options["days"] < 0 or options["events_per_second"] < 0:
            raise CommandError("--days and --events-per-second cannot be negative")
        if len(set(clusters)) != len(clusters):
            raise CommandError("a cluster is named twice")
        start = parse_start(options["start"], options["days"])
        if options["ingest"]:
            self._ingest(clusters, start, options)
        else:
            self._write(clusters, start, options)

    def _events(self, cluster: str, start: datetime, options: dict) -> Iterator[dict]:
        return simulate_cluster(
            cluster,
            start=start,
            days=options["days"],
            events_per_second=options["events_per_second"],
            seed=options["seed"],
        )

    def _ingest(self, clusters: list[str], start: datetime, options: dict) -> None:
        for cluster in clusters:
            tally = Tally(cluster, start, options["days"], self.stderr)
            report = ingest_events(tally.count(self._events(cluster, start, options)), cluster=cluster,
                                   source=provenance.SIMULATOR)
            self.stdout.write(
                f"{tally.summary()} ({report.ingested:,} ingested, {report.duplicates:,} duplicates, "
                f"{report.rejected:,} rejected, {report.dropped:,} dropped)"
            )

    def _write(self, clusters: list[str], start: datetime, options: dict) -> None:
        output = options["output"] or "-"
        directory = self._directory(output, clusters)
        # The summary goes to stderr when the events themselves go to stdout.
        summaries = self.stderr if output == "-" else self.stdout
        for cluster in clusters:
            tally = Tally(cluster, start, options["days"], self.stderr)
            events = tally.count(self._events(cluster, start, options))
            if directory is None and output == "-":
                write_jsonl(events, self._stdout_binary())
            else:
                path = directory / f"{cluster}.jsonl" if directory else Path(output)
                with path.open("wb") as sink:
                    write_jsonl(events, sink)
            summaries.write(tally.summary())

    @staticmethod
    def _directory(output: str, clusters: list[str]) -> Path | None:
        """Where per-cluster files go, or None when all events go to one file or stdout."""
        path = Path(output)
        if output != "-" and (path.is_dir() or output.endswith(("/", "\\"))):
            path.mkdir(parents=True, exist_ok=True)
            return path
        if len(clusters) > 1:
            if output == "-" or path.exists():
                raise CommandError("several clusters need --output DIRECTORY (one <cluster>.jsonl each)")
            path.mkdir(parents=True)
            return path
        return None

    def _stdout_binary(self) -> BinaryIO:
        stream = getattr(self.stdout, "_out", sys.stdout)
        return getattr(stream, "buffer", None) or _TextSink(stream)


class _TextSink:
    """Adapts a text stream (e.g. ``call_command(stdout=StringIO())``) to the binary writer."""

    def __init__(self, stream) -> None:
        self.stream = stream

    def write(self, data: bytes) -> int:
        return self.stream.write(data.decode())

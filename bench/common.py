"""Shared benchmark plumbing: a Django set up on a benchmark data directory, a reproducible
simulated event store, and timing helpers (p50/p95 over repeated runs)."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The dataset ends here, so that "last 24 h" means the same events on every run.
DATASET_END = datetime(2026, 11, 1, tzinfo=UTC)


def setup_django(data_dir: Path) -> None:
    """Point the embedded default at ``data_dir`` and start Django (before any model import)."""
    sys.path.insert(0, str(ROOT))
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ["AUDITUI_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "auditui.settings")
    os.environ.setdefault("SECRET_KEY", "benchmark")
    # The pages are measured through Django's test client, which names its host "testserver".
    os.environ.setdefault("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    # As the web and Celery worker processes are set up (auditui/runtime.py).
    from auditui.runtime import tune_gc

    tune_gc()


@dataclass(frozen=True)
class Dataset:
    events: int
    days: int
    clusters: int
    seed: int = 7

    @property
    def start(self) -> datetime:
        return DATASET_END - timedelta(days=self.days)

    @property
    def marker(self) -> dict:
        return {"events": self.events, "days": self.days, "clusters": self.clusters, "seed": self.seed,
                "end": DATASET_END.isoformat()}


def ensure_dataset(data_dir: Path, dataset: Dataset, *, log=print) -> int:
    """Build the simulated store once; later runs reuse it (the marker file says what it holds)."""
    from auditui.events.models import AuditEvent

    marker = data_dir / "dataset.json"
    # The events may live elsewhere than the marker (a PostgreSQL server started afresh).
    if marker.exists() and json.loads(marker.read_text()) == dataset.marker and AuditEvent.objects.exists():
        return AuditEvent.objects.count()
    started = time.monotonic()
    seen, stored = feed_simulated(dataset, store=None, label="building dataset")
    elapsed = time.monotonic() - started
    log(f"built {stored:,} events in {elapsed:.0f} s ({seen / elapsed:,.0f} events/s generated and ingested)")
    _analyze()
    marker.write_text(json.dumps(dataset.marker))
    return stored


def dataset_arguments(description: str | None, *, events: int, runs: int) -> argparse.ArgumentParser:
    """The options of the benchmarks that run on the simulated dataset: which dataset (and where
    its SQLite store lives), which stores, how many runs, JSON output."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=events)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--clusters", type=int, default=3)
    parser.add_argument("--store", default="sql")
    parser.add_argument("--runs", type=int, default=runs)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON on the last line")
    return parser


def open_dataset(args: argparse.Namespace) -> tuple[Path, Dataset, int]:
    """Django on the dataset's SQLite store, built on the first run: (its directory, the
    dataset, how many events it holds)."""
    data_dir = args.data_dir or ROOT / "bench" / "out" / f"search-{args.events}"
    setup_django(data_dir)
    dataset = Dataset(events=args.events, days=args.days, clusters=args.clusters)
    return data_dir, dataset, ensure_dataset(data_dir, dataset, log=lambda m: print(m, file=sys.stderr))


def feed_simulated(dataset: Dataset, *, store, label: str) -> tuple[int, int]:
    """Generate the dataset's events and ingest them into ``store`` (None: the configured one);
    returns (events generated, events stored)."""
    from auditui.events.ingest import Ingestor
    from auditui.events.simulator import default_cluster_names, generate
    from auditui.progress import Progress

    rate = dataset.events / (dataset.clusters * dataset.days * 86400)
    names = default_cluster_names(dataset.clusters)
    ingestors = {name: Ingestor(cluster=name, store=store, batch_size=5000) for name in names}
    progress = Progress(label, None, enabled=True)
    seen = 0
    for cluster, event in generate(clusters=names, start=dataset.start, days=dataset.days,
                                   events_per_second=rate, seed=dataset.seed):
        ingestors[cluster].feed_value(event, "sim")
        seen += 1
        if seen % 20000 == 0:
            progress.update(0, seen)
    for ingestor in ingestors.values():
        ingestor.flush()
    progress.finish()
    return seen, sum(i.report.ingested for i in ingestors.values())


def _analyze() -> None:
    """Planner statistics, as a production database would have after `ANALYZE` (or autovacuum)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


@dataclass(frozen=True)
class Timing:
    name: str
    p50_ms: float
    p95_ms: float
    runs: int
    target_ms: float | None = None
    detail: str = ""

    @property
    def meets_target(self) -> bool | None:
        return None if self.target_ms is None else self.p95_ms < self.target_ms

    def as_dict(self) -> dict:
        return {"name": self.name, "p50_ms": round(self.p50_ms, 1), "p95_ms": round(self.p95_ms, 1),
                "runs": self.runs, "target_ms": self.target_ms, "meets_target": self.meets_target,
                "detail": self.detail}


def measure(name: str, fn: Callable[[], object], *, runs: int, warmup: int = 2,
            target_ms: float | None = None, detail: Callable[[object], str] | None = None) -> Timing:
    result = None
    for _ in range(warmup):
        result = fn()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, max(0, round(0.95 * len(samples)) - 1))]
    return Timing(name, statistics.median(samples), p95, runs, target_ms, detail(result) if detail else "")


def print_table(timings: list[Timing], out=sys.stdout) -> None:
    out.write(f"{'measurement':<58} {'p50 ms':>8} {'p95 ms':>8} {'target':>8}  ok\n")
    for t in timings:
        target = f"<{t.target_ms:.0f}" if t.target_ms else ""
        ok = {True: "yes", False: "NO", None: ""}[t.meets_target]
        out.write(f"{t.name:<58} {t.p50_ms:8.1f} {t.p95_ms:8.1f} {target:>8}  {ok}  {t.detail}\n")


def print_store_tables(stored: int, results: dict[str, list[Timing]], *, as_json: bool, where: str = "") -> None:
    """Each store's table (on standard error with ``as_json``, which then prints the figures as
    JSON on the last line of standard output)."""
    out = sys.stderr if as_json else sys.stdout
    out.write(f"store: {stored:,} events{where}\n")
    for name, timings in results.items():
        out.write(f"\n[{name}]\n")
        print_table(timings, out=out)
    if as_json:
        print(json.dumps({"events": stored, "stores": {n: [t.as_dict() for t in ts] for n, ts in results.items()}}))

"""Compliance reports benchmark (issue 15): a policy-audit and an activity-summary report over 24 h
and 30 days, on the store bench/search.py builds, and with --store on the search engines too.

    .venv/bin/python bench/reports.py [--events 5000000] [--store sql,opensearch] [--runs 3] [--json]
    .venv/bin/python bench/reports.py --inventory [--pods 1000] [--days 30] [--store sql,opensearch] [--runs 3]

Times what a worker does for one run, reading and rendering (``reports.generate``: the store's
reads, the renderers; writing the files is left out, a few disk writes): the target is < 10 s per
report on SQLite and OpenSearch, growing with the interval's events, not the store's size.

``--inventory`` (issue 17) times inventory and network-access reports over 24 h, 7 and 30 days of
a cluster whose pods churn (bench/churn.py, with daily snapshots as beat takes them), and a 24 h
report with the snapshots removed (replayed from the first event): with snapshots a report's time
follows its interval's events, without them the retention's.
"""

from __future__ import annotations

import json
import sys
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import DATASET_END, dataset_arguments, measure, open_dataset, print_table  # noqa: E402
from bench.engines import run_on_stores  # noqa: E402
from bench.postgres import timings_from  # noqa: E402

TARGET_MS = 10_000
INVENTORY_TARGET_MS = 30_000  # issue 17: < 30 s per inventory or network-access report


def _run_of(report_type: str, span: timedelta):
    from reports.models import ReportRun

    # Unsaved: generation reads its fields only (the definitions live in DATABASE_URL, not timed).
    return ReportRun(report_name="bench", report_type=report_type, start=DATASET_END - span, end=DATASET_END,
                     spec={"reportType": report_type}, calico_id="bench")


def _generate(run):
    from reports import generate

    return generate.render(run, generate.report_data(run))


def _detail(result) -> str:
    summary, files = result
    size = sum(len(content) for content in files.values()) // 1024
    counted = summary.get("numTotal", summary.get("numEvents"))
    return f"{counted:,} events counted, {size:,} KiB of files"


def run(runs: int):
    timings = []
    for report_type in ("policy-audit", "activity-summary"):
        for label, span in (("24 h", timedelta(days=1)), ("30 days", timedelta(days=30))):
            report_run = _run_of(report_type, span)
            timings.append(measure(f"{report_type}, {label}", lambda r=report_run: _generate(r),
                                   runs=runs, warmup=1, target_ms=TARGET_MS, detail=_detail))
    return timings, ""


def _inventory_dataset(churn, start, store_url: str, prefix: str) -> int:
    """The churn's events in that store (once), and a daily snapshot for each day."""
    from auditui.access.scope import ViewerScope
    from auditui.events.ingest import Ingestor
    from auditui.events.store import EventQuery, get_store, store_for
    from bench.churn import churn_events

    store = get_store() if store_url == "sql" else store_for(store_url, prefix, "false")
    held = store.count(EventQuery(scope=ViewerScope.all(), clusters=("churn",)))
    if held == 0:
        ingestor = Ingestor(cluster="churn", store=None if store_url == "sql" else store, batch_size=5000)
        for event in churn_events(churn, start):
            ingestor.feed_value(event, "sim")
        ingestor.flush()
        if store_url != "sql":
            import time

            time.sleep(6)  # the index refreshes every 5 s
        held = store.count(EventQuery(scope=ViewerScope.all(), clusters=("churn",)))
    return held


def _take_snapshots(start, days: int) -> None:
    from auditui.state.models import StateSnapshot
    from auditui.state.snapshots import snapshot_take

    for day in range(1, days + 1):
        at = start + timedelta(days=day)
        if not StateSnapshot.objects.filter(cluster="churn", at=at).exists():
            snapshot_take(cluster="churn", at=at)


def _inventory_detail(result) -> str:
    summary, files = result
    return (f"{summary['endpointsNumInScope']:,} endpoints in scope, "
            f"{sum(len(c) for c in files.values()) // 1024:,} KiB of files")


def _inventory_timings(runs: int, start, days: int) -> list:
    from auditui.state.models import StateSnapshot

    end = start + timedelta(days=days)
    timings = []
    for report_type in ("inventory", "network-access"):
        for label, span in (("24 h", timedelta(days=1)), ("7 days", timedelta(days=7)),
                            (f"{days} days", timedelta(days=days))):
            run = _run_of(report_type, span)
            run.start, run.end = end - span, end
            timings.append(measure(f"{report_type}, {label}", lambda r=run: _generate(r), runs=runs, warmup=1,
                                   target_ms=INVENTORY_TARGET_MS, detail=_inventory_detail))
    kept = list(StateSnapshot.objects.filter(cluster="churn").values("cluster", "at", "source", "state",
                                                                       "object_count"))
    StateSnapshot.objects.filter(cluster="churn").delete()
    run = _run_of("inventory", timedelta(days=1))
    run.start, run.end = end - timedelta(days=1), end
    timings.append(measure("inventory, 24 h, no snapshots (replays the retention)", lambda: _generate(run),
                           runs=runs, warmup=1, target_ms=INVENTORY_TARGET_MS, detail=_inventory_detail))
    StateSnapshot.objects.bulk_create([StateSnapshot(**row) for row in kept])
    return timings


def inventory_main(argv: list[str]) -> None:
    import argparse

    from bench.churn import Churn
    from bench.common import ROOT, setup_django
    from bench.engines import engine_urls, parse_stores

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--inventory", action="store_true")
    parser.add_argument("--pods", type=int, default=1000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--store", default="sql")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    churn = Churn(pods=args.pods, days=args.days)
    setup_django(ROOT / "bench" / "out" / f"inventory-{args.pods}-{args.days}d")
    from django.test import override_settings

    start = DATASET_END - timedelta(days=args.days)
    stores = parse_stores(args.store)
    with engine_urls(stores) as urls:
        for name in stores:
            prefix = f"bench-churn-{args.pods}-{args.days}d"
            with override_settings(EVENT_STORE_URL=urls[name], AUDITUI_INDEX_PREFIX=prefix):
                held = _inventory_dataset(churn, start, urls[name], prefix)
                _take_snapshots(start, args.days)
                print(f"\n[{name}] {held:,} events: {args.pods:,} pods over {args.days} days, "
                      f"{churn.replaced_per_day:.0%} replaced a day")
                print_table(_inventory_timings(args.runs, start, args.days))


def main() -> None:
    if "--inventory" in sys.argv[1:]:
        inventory_main(sys.argv[1:])
        return
    args = dataset_arguments(__doc__, events=5_000_000, runs=3).parse_args()
    data_dir, dataset, stored = open_dataset(args)
    results = run_on_stores(args.store, args.events, dataset, stored, lambda: run(args.runs), data_dir,
                            from_figures=lambda figures: (timings_from(figures["timings"]), figures["facts"]))
    out = sys.stderr if args.json else sys.stdout
    out.write(f"store: {stored:,} events (SQLite at {data_dir})\n")
    for name, (timings, _facts) in results.items():
        out.write(f"\n[{name}]\n")
        print_table(timings, out=out)
    if args.json:
        print(json.dumps({"events": stored, "stores": {
            name: {"facts": facts, "timings": [t.as_dict() for t in timings]}
            for name, (timings, facts) in results.items()}}))


if __name__ == "__main__":
    main()

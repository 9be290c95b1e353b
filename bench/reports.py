"""Compliance reports benchmark (issue 15): a policy-audit and an activity-summary report over 24 h
and 30 days, on the store bench/search.py builds, and with --store on the search engines too.

    .venv/bin/python bench/reports.py [--events 5000000] [--store sql,opensearch] [--runs 3] [--json]

Times what a worker does for one run, reading and rendering (``reports.generate``: the store's
reads, the renderers; writing the files is left out, a few disk writes): the target is < 10 s per
report on SQLite and OpenSearch, growing with the interval's events, not the store's size.
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


def _run_of(report_type: str, span: timedelta):
    from reports.models import ReportRun

    # Unsaved: generation reads its fields only (the definitions live in DATABASE_URL, not timed).
    return ReportRun(report_name="bench", report_type=report_type, start=DATASET_END - span, end=DATASET_END,
                     spec={"reportType": report_type}, calico_id="bench")


def _generate(run):
    from reports import generate

    data = generate.policy_audit_data(run) if run.report_type == "policy-audit" else generate.activity_data(run)
    return generate.render(run, data)


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


def main() -> None:
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

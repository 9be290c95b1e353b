"""Page benchmark: p50/p95 of the main pages rendered whole through Django (every query the page
makes, templates included), on the SQLite store that bench/search.py builds and, with --store,
on the same events in a search engine.

    .venv/bin/python bench/pages.py [--events 1000000] [--store sql,opensearch] [--runs 10] [--json]

The clock is set to the dataset's end, so "last 24 h" holds the same events on every run. The
viewer is an administrator (sees every cluster). No targets: this shows where a page spends its
time on each store; the targets of the reads behind them are in search.py and changelog.py.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import DATASET_END, ROOT, Dataset, ensure_dataset, measure, print_table, setup_django  # noqa: E402
from bench.engines import run_on_stores  # noqa: E402

PAGES = (
    ("overview", "/"),
    ("events, last 24 h", "/events/"),
    ("events, 7 days", "/events/?range=7d"),
    ("events, 7 days, failed requests", "/events/?range=7d&query=responseStatus.code+%3E%3D+400"),
    ("events, 24 h, a request-body path", "/events/?query=requestObject.spec.ingress.ports.port+%3D+8443"),
    ("policies changed in the last 24 h", "/policies/"),
    ("all known policies", "/policies/?tab=known"),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--clusters", type=int, default=3)
    parser.add_argument("--store", default="sql")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON on the last line")
    args = parser.parse_args()
    data_dir = ROOT / "bench" / "out" / f"search-{args.events}"
    setup_django(data_dir)
    dataset = Dataset(events=args.events, days=args.days, clusters=args.clusters)
    stored = ensure_dataset(data_dir, dataset, log=lambda m: print(m, file=sys.stderr))
    results = run_on_stores(args.store, args.events, dataset, stored, lambda: run(args.runs))
    out = sys.stderr if args.json else sys.stdout
    out.write(f"store: {stored:,} events (SQLite at {data_dir})\n")
    for name, timings in results.items():
        out.write(f"\n[{name}]\n")
        print_table(timings, out=out)
    if args.json:
        print(json.dumps({"events": stored, "stores": {n: [t.as_dict() for t in ts] for n, ts in results.items()}}))


def run(runs: int) -> list:
    import time_machine
    from django.contrib.auth import get_user_model
    from django.test import Client

    user, _ = get_user_model().objects.get_or_create(username="bench", defaults={"is_superuser": True})
    client = Client()
    client.force_login(user)

    def page(url: str):
        def get():
            with time_machine.travel(DATASET_END, tick=False):
                response = client.get(url)
            if response.status_code != 200:
                raise SystemExit(f"{url}: HTTP {response.status_code}")
            return response
        return get

    size = lambda response: f"{len(response.content) // 1024} KiB"  # noqa: E731
    return [measure(name, page(url), runs=runs, detail=size) for name, url in PAGES]


if __name__ == "__main__":
    main()

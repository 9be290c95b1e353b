"""Page benchmark: p50/p95 of the main pages rendered whole through Django (every query the page
makes, templates included), on the SQLite store that bench/search.py builds and, with --store,
on the same events in a search engine.

    .venv/bin/python bench/pages.py [--events 1000000] [--store sql,opensearch] [--runs 10] [--json]

The clock is set to the dataset's end, so "last 24 h" holds the same events on every run. The
viewer is an administrator (sees every cluster). No targets: this shows where a page spends its
time on each store; the targets of the reads behind them are in search.py and changelog.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import DATASET_END, dataset_arguments, measure, open_dataset, print_store_tables  # noqa: E402
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
    args = dataset_arguments(__doc__, events=1_000_000, runs=10).parse_args()
    data_dir, dataset, stored = open_dataset(args)
    results = run_on_stores(args.store, args.events, dataset, stored, lambda: run(args.runs), data_dir)
    print_store_tables(stored, results, as_json=args.json, where=f" (SQLite at {data_dir})")


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

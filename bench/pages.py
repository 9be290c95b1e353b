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
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import DATASET_END, dataset_arguments, measure, open_dataset, print_store_tables  # noqa: E402
from bench.engines import run_on_stores  # noqa: E402

PAGES = (
    ("overview", "/"),
    ("events, last 24 h", "/events/"),
    # ``start=``: the page has no ``range=`` parameter (before issue 18 these two rows said
    # ``range=7d`` and so measured the default 24 h).
    ("events, 7 days", "/events/?start=now-7d"),
    ("events, 7 days, failed requests", "/events/?start=now-7d&query=responseStatus.code+%3E%3D+400"),
    ("events, 24 h, a request-body path", "/events/?query=requestObject.spec.ingress.ports.port+%3D+8443"),
    # Issue 18 item 4: conditions inside request bodies over a week.
    ("events, 7 days, a request-body path",
     "/events/?start=now-7d&query=requestObject.spec.ingress.ports.port+%3D+8443"),
    ("events, 7 days, a container image", "/events/?start=now-7d&query=" + quote(
        'requestObject.spec.containers.image = "registry.example.com/payments/*"')),
    ("policies changed in the last 24 h", "/policies/"),
    ("all known policies", "/policies/?tab=known"),
)
# The next page of these (their "Older" link; PAGES' index): the histogram and the sidebar are
# the whole range's.
SECOND_PAGES = (("events, 7 days, a request-body path, second page", 5),)


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
    timings = [measure(name, page(url), runs=runs, detail=size) for name, url in PAGES]
    for name, first in SECOND_PAGES:
        cursor = first_page_cursor(PAGES[first][1])
        if cursor:
            timings.append(measure(name, page(f"{PAGES[first][1]}&cursor={quote(cursor)}"), runs=runs, detail=size))
    return timings


def first_page_cursor(url: str) -> str | None:
    """The cursor of the page's "Older" link, as the page computes it."""
    from urllib.parse import urlsplit

    import time_machine
    from django.http import QueryDict

    from auditui.access.scope import ViewerScope
    from auditui.events import search_page
    from auditui.events.store import get_store

    state = search_page.SearchState.from_params(QueryDict(urlsplit(url).query))
    with time_machine.travel(DATASET_END, tick=False):
        q, _range = search_page.build_event_query(ViewerScope.all(), state)
        return get_store().search(q, page_size=search_page.PAGE_SIZE).next_cursor


if __name__ == "__main__":
    main()

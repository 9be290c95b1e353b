"""Policy changelog benchmark (issue 5): p50/p95 of one policy's changelog and of the lists of
changed policies, on the SQLite store that bench/search.py builds, and with --store on the
search engines too (the same events loaded into an OpenSearch node, as bench/search.py does).

    .venv/bin/python bench/changelog.py [--events 5000000] [--store sql,opensearch] [--runs 30] [--json]

Reuses (or builds once) bench/out/search-<events> (5 M simulated events over 30 days in 3
clusters by default; --events 300000 for a quick run), then times, on each store:
  (a) one policy's changelog as the API answers it: versions rebuilt, a structural diff per change:
      the busiest policy's last 24 h (what the changed-policies list links to), its whole history
      (for scale), and the whole history of the policy with the most changes up to 100, if any
  (b) the history page's view model: the same plus YAML diffs of the changes on the page
  (c) the history page through Django (HTML rendered)
  (d) policies changed in the last 24 h (the list page's read), and the same through the API
  (e) policies changed in the last 7 days, and all known policies (no target): from the per-object
      summary (issue 18; built first with ``index_objects`` when the store lacks it) and, in the
      same run, from the events as before it
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

CHANGELOG_TARGET_MS = 50
LIST_TARGET_MS = 200
MAX_CHANGES = 100


def main() -> None:
    args = dataset_arguments(__doc__, events=5_000_000, runs=30).parse_args()
    data_dir, dataset, stored = open_dataset(args)
    results = run_on_stores(args.store, args.events, dataset, stored, lambda: run(args.runs), data_dir,
                            from_figures=lambda figures: (timings_from(figures["timings"]), figures["facts"]))
    out = sys.stderr if args.json else sys.stdout
    out.write(f"store: {stored:,} events (SQLite at {data_dir})\n")
    for name, (timings, facts) in results.items():
        out.write(f"\n[{name}] {facts}\n")
        print_table(timings, out=out)
    if args.json:
        print(json.dumps({"events": stored, "stores": {
            name: {"facts": facts, "timings": [t.as_dict() for t in timings]}
            for name, (timings, facts) in results.items()}}))


def _pick_policies(everything):
    """The policy with the most changes up to MAX_CHANGES (None when every policy has more),
    and the one with the most of all."""
    from auditui.policies import selectors

    known = selectors.changed_policies(everything, start=None, end=None, now=DATASET_END).rows
    fitting = [r for r in known if r.changes <= MAX_CHANGES]
    typical = max(fitting, key=lambda r: r.changes) if fitting else None
    return typical, max(known, key=lambda r: r.changes), len(known)


def run(runs: int):
    from auditui.access.scope import ViewerScope
    from auditui.events.store import get_store
    from auditui.policies import api, presenters, selectors

    everything = ViewerScope.all()
    get_store().index_objects()  # the per-object summary of a dataset built before it existed
    typical, busiest, known = _pick_policies(everything)
    day, week = timedelta(days=1), timedelta(days=7)

    def changelog_json(row, start=None):
        log = selectors.policy_changelog(everything, row.ref, start=start, end=DATASET_END if start else None)
        return api.changelog_json(log, {}, None)

    def history_page(row, start=None):
        log = selectors.policy_changelog(everything, row.ref, start=start, end=DATASET_END if start else None)
        return presenters.build_history_page(log, row.ref, noise=False, at_base="?")

    def changed(span):
        return selectors.changed_policies(everything, start=DATASET_END - span, end=DATASET_END, now=DATASET_END)

    last_day = DATASET_END - day
    timings = []
    if typical is not None:
        timings.append(measure(f"(a) changelog JSON, whole history of {typical.changes} changes",
                               lambda: changelog_json(typical), runs=runs, target_ms=CHANGELOG_TARGET_MS,
                               detail=lambda r: f"{len(r['changes'])} changes"))
    timings += [
        measure("(a) changelog JSON, busiest policy, last 24 h", lambda: changelog_json(busiest, last_day),
                runs=runs, target_ms=CHANGELOG_TARGET_MS, detail=lambda r: f"{len(r['changes'])} changes"),
        measure("(a) changelog JSON, busiest policy, whole history", lambda: changelog_json(busiest),
                runs=max(runs // 3, 5), detail=lambda r: f"{len(r['changes'])} changes"),
        measure("(b) history page view model, busiest, last 24 h", lambda: history_page(busiest, last_day),
                runs=runs, target_ms=CHANGELOG_TARGET_MS, detail=lambda p: f"{len(p.changes)} changes shown"),
        measure_http_history(runs, busiest, last_day),
        measure("(d) changed in the last 24 h", lambda: changed(day), runs=runs, target_ms=LIST_TARGET_MS,
                detail=lambda r: f"{len(r.rows)} policies"),
        measure_http_list(runs),
        measure("(e) changed in the last 7 days", lambda: changed(week), runs=max(runs // 3, 5),
                detail=lambda r: f"{len(r.rows)} policies"),
        measure("(e) all known policies", lambda: selectors.changed_policies(everything, start=None, end=None),
                runs=max(runs // 3, 5), warmup=1, detail=lambda r: f"{len(r.rows)} policies"),
        measure("(e) all known policies, from the events (before issue 18)",
                lambda: _from_events(lambda: selectors.changed_policies(everything, start=None, end=None)),
                runs=5, warmup=1, detail=lambda r: f"{len(r.rows)} policies"),
    ]
    facts = (f"{known} known policies; busiest {busiest.kind.qualified}/{busiest.name} ({busiest.changes} changes)"
             + (f"; largest up to {MAX_CHANGES}: {typical.name} ({typical.changes})" if typical else
                f"; none has {MAX_CHANGES} changes or fewer"))
    return timings, facts


def _from_events(read):
    """``read()`` with the store's per-object summary out of the way (the lists then read the events)."""
    from auditui.events.store import get_store

    store = get_store()
    store.object_summaries = lambda *args, **kwargs: None
    try:
        return read()
    finally:
        del store.object_summaries


def _client():
    from django.contrib.auth import get_user_model
    from django.test import Client

    user, _ = get_user_model().objects.get_or_create(username="bench", defaults={"is_superuser": True})
    client = Client()
    client.force_login(user)
    return client


def measure_http_history(runs: int, row, start):
    from auditui.policies.presenters import history_path, iso_z

    client = _client()
    url = f"{history_path(row.kind, row.ref)}?cluster={row.cluster}&start={iso_z(start)}&end={iso_z(DATASET_END)}"

    def call():
        response = client.get(url)
        assert response.status_code == 200, response.status_code
        return response

    return measure("(c) history page, busiest, last 24 h, HTML through Django", call, runs=runs,
                   detail=lambda r: f"{len(r.content) // 1024} KiB")


def measure_http_list(runs: int):
    import time_machine

    client = _client()

    def call():
        with time_machine.travel(DATASET_END, tick=False):
            response = client.get("/api/v1/policies?changed_within=24h")
        assert response.status_code == 200, response.status_code
        return response.json()

    return measure("(d) changed in the last 24 h, API through Django", call, runs=runs, target_ms=LIST_TARGET_MS,
                   detail=lambda r: f"{r['count']} policies")


if __name__ == "__main__":
    main()

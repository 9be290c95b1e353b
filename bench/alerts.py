"""Alerts benchmark (issue 14): one evaluation round of 200 enabled GlobalAlerts, every one due.

    .venv/bin/python bench/alerts.py [--events 5000000] [--store sql,postgresql,opensearch,elasticsearch]
        [--runs 3] [--json]

The rules: every GlobalAlertTemplate (Calico's four audit templates and the 21 of auditui's
detection pack, alerts/detections/k8s-pack.yaml, installed by the migrations), per-record rules
(verb and resource), aggregated rules with each metric (count, avg, max, min, sum) over several
keys, and metric-only rules; they run over the simulated store of the search benchmark
(bench/search.py builds it once under bench/out/), at the dataset's end. Each run starts from an
empty inbox, so every round does the full work (aggregations, alert events written, pairs and
auditIDs read back).

Two rounds show what a round's cost follows: the rules' own lookback (10 minutes), and the same
rules with a lookback of 6 hours, many times the events in the windows on the same store. Run
it with two ``--events`` to compare store sizes: the round's cost should follow the events in
the windows, not the store's size. Target: < 5 s per round on SQLite and on OpenSearch.

bench/elastalert_compare.py runs the same rules with ElastAlert2 side by side (bench/RESULTS.md).
"""

from __future__ import annotations

import itertools
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import DATASET_END, Timing, dataset_arguments, open_dataset, print_store_tables  # noqa: E402
from bench.engines import run_on_stores  # noqa: E402

TARGET_MS = 5000
RULES = 200
PREFIX = "bench-"
VERBS = ("create", "delete", "patch", "update")
RESOURCES = ("pods", "secrets", "configmaps", "deployments", "services", "networkpolicies", "roles",
             "rolebindings", "serviceaccounts", "namespaces", "replicasets", "jobs", "ingresses", "leases",
             "events")
KEYS = (["user.username"], ["objectRef.namespace"], ["objectRef.resource"], ["verb"],
        ["objectRef.namespace", "objectRef.name"])
METRICS = (("count", None, "gte", 3), ("avg", "responseStatus.code", "gt", 300),
           ("max", "responseStatus.code", "gte", 400), ("min", "responseStatus.code", "lt", 300),
           ("sum", "responseStatus.code", "gt", 1000))


def rule_specs(lookback: str) -> list[tuple[str, dict]]:
    """200 rules: every template (Calico's and the whole detection pack), per-record, aggregated and
    metric-only, as Calico users write them."""
    from alerts.models import GlobalAlertTemplate

    base = {"severity": 50, "dataSet": "audit", "period": "5m", "lookback": lookback}
    specs = [(f"{PREFIX}{t.name}", {**t.spec, "lookback": lookback}) for t in GlobalAlertTemplate.objects.all()]
    for verb, resource in itertools.product(VERBS, RESOURCES):
        specs.append((f"{PREFIX}record-{verb}-{resource}", {
            **base, "description": f"{verb} {resource}", "query": f'verb={verb} AND "objectRef.resource"={resource}'}))
    combos = itertools.cycle(itertools.product(METRICS, KEYS, RESOURCES))
    while len(specs) < RULES - 10:
        (metric, field, condition, threshold), keys, resource = next(combos)
        spec = {**base, "description": f"{metric} by {', '.join(keys)}", "query": f'"objectRef.resource"={resource}',
                "aggregateBy": keys, "metric": metric, "condition": condition, "threshold": threshold}
        if field:
            spec["field"] = field
        specs.append((f"{PREFIX}agg-{len(specs)}", spec))
    for n, (metric, field, condition, threshold) in enumerate(itertools.islice(itertools.cycle(METRICS), 10)):
        spec = {**base, "description": f"{metric} over the window", "query": f'verb={VERBS[n % 4]}',
                "metric": metric, "condition": condition, "threshold": threshold}
        if field:
            spec["field"] = field
        specs.append((f"{PREFIX}metric-{n}", spec))
    return specs


def install(lookback: str) -> int:
    from alerts.models import GlobalAlert
    from alerts.spec import clean_spec

    GlobalAlert.objects.filter(name__startswith=PREFIX).delete()
    rows = [GlobalAlert(name=name, spec=clean_spec(spec).spec) for name, spec in rule_specs(lookback)]
    GlobalAlert.objects.bulk_create(rows)
    return len(rows)


def one_round() -> tuple[float, int, int]:
    """(seconds, rules evaluated, alert events written), from an empty inbox, every rule due."""
    from alerts.models import AlertEvent, GlobalAlert
    from alerts.runs import alerts_evaluate_due

    AlertEvent.objects.all().delete()
    GlobalAlert.objects.update(next_run_at=DATASET_END - timedelta(minutes=1), healthy=True, error_conditions=[])
    started = time.perf_counter()
    results = alerts_evaluate_due(now=DATASET_END)
    elapsed = time.perf_counter() - started
    failed = [r for r in results if r.error]
    if failed:
        print(f"{len(failed)} rules failed, e.g. {failed[0].alert}: {failed[0].error}", file=sys.stderr)
    return elapsed, len(results), AlertEvent.objects.count()


def events_in(lookback: timedelta) -> int:
    from auditui.access.scope import ViewerScope
    from auditui.events.store import EventQuery, get_store

    return get_store().count(EventQuery(scope=ViewerScope.all(), start=DATASET_END - lookback, end=DATASET_END))


def measure_round(lookback: str, span: timedelta, runs: int, target_ms: float | None) -> Timing:
    install(lookback)
    samples = []
    evaluated = written = 0
    for _ in range(runs):
        seconds, evaluated, written = one_round()
        samples.append(seconds * 1000)
    samples.sort()
    return Timing(f"one round, {RULES} rules, lookback {lookback}", samples[len(samples) // 2], samples[-1], runs,
                  target_ms, f"{evaluated} rules, {written:,} alert events, {events_in(span):,} events in the window")


def main() -> None:
    args = dataset_arguments(__doc__, events=5_000_000, runs=3).parse_args()
    data_dir, dataset, stored = open_dataset(args)

    def run() -> list[Timing]:
        return [measure_round("10m", timedelta(minutes=10), args.runs, TARGET_MS),
                measure_round("6h", timedelta(hours=6), args.runs, None)]

    results = run_on_stores(args.store, args.events, dataset, stored, run, data_dir)
    print_store_tables(stored, results, as_json=args.json)


if __name__ == "__main__":
    main()

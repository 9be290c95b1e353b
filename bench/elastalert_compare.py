"""auditui's alerts beside ElastAlert2 (issue 14 item 8): the 200 rules of bench/alerts.py, one
round with every rule due, on the same OpenSearch indices.

    bench/elastalert/setup.sh        # once: ElastAlert2 2.19.0 in bench/.venv-elastalert
    OPENSEARCH_URL=http://127.0.0.1:9200 .venv/bin/python bench/elastalert_compare.py \
        [--events 300000] [--lookback 10m] [--runs 3] [--threads 1,10] [--json]

auditui: ``alerts_evaluate_due`` at the dataset's end, from an empty inbox (as bench/alerts.py).
ElastAlert2: the same rules translated (bench/elastalert/rules.py) and run over auditui's indices
as they are (``timestamp_field: time``, ``timestamp_type: unix_ms``), one ``run_rule`` per rule
over the same window (bench/elastalert/round.py), in its own virtual environment. Then, per rule,
auditui's alert events beside ElastAlert's alerts (its matches, one per distinct ``query_key``:
its ``frequency`` rule matches again each time N more events arrive, auditui's bucket is one
alert event).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import DATASET_END, ROOT, dataset_arguments, open_dataset  # noqa: E402
from bench.engines import configured_store, engine_prefix, engine_urls  # noqa: E402

VENV_PYTHON = ROOT / "bench" / ".venv-elastalert" / "bin" / "python"


def _auditui_round(lookback: str, runs: int) -> tuple[list[float], Counter]:
    from django.db.models import Count

    from alerts.models import AlertEvent
    from bench.alerts import install, one_round

    install(lookback)
    samples = [one_round()[0] * 1000 for _ in range(runs)]
    counts = Counter({row["alert__name"]: row["n"] for row in
                      AlertEvent.objects.values("alert__name").annotate(n=Count("id"))})
    return samples, counts


def _write_rules(folder: Path, lookback: str, index: str) -> tuple[dict[str, str], dict[str, str]]:
    """The rules as ElastAlert2 YAML files: ({name: type}, {name: why it was left out})."""
    import yaml

    from alerts.spec import clean_spec
    from bench.alerts import rule_specs
    from bench.elastalert.rules import Untranslatable, translate

    kinds, left_out = {}, {}
    for name, spec in rule_specs(lookback):
        try:
            rule = translate(name, clean_spec(spec), index)
        except Untranslatable as error:
            left_out[name] = str(error)
            continue
        kinds[name] = rule["type"]
        (folder / f"{name}.yaml").write_text(yaml.safe_dump(rule, sort_keys=False))
    return kinds, left_out


def _write_config(folder: Path, lookback: timedelta, prefix: str) -> Path:
    import yaml

    url = os.environ.get("OPENSEARCH_URL", "http://127.0.0.1:9200").rstrip("/").split("://", 1)[1]
    host, port = url.rsplit(":", 1)
    config = {"rules_folder": str(folder / "rules"), "run_every": {"minutes": 5},
              "buffer_time": {"minutes": lookback.total_seconds() / 60}, "es_host": host, "es_port": int(port),
              # Never written in --debug mode; named after the prefix all the same.
              "writeback_index": f"{prefix}-elastalert", "alert_time_limit": {"days": 2},
              "max_threads": 10}
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def _elastalert_round(config: Path, lookback: timedelta, threads: int) -> dict:
    start, end = (DATASET_END - lookback).isoformat(), DATASET_END.isoformat()
    done = subprocess.run([str(VENV_PYTHON), str(ROOT / "bench" / "elastalert" / "round.py"), str(config), start,
                           end, str(threads)], capture_output=True, text=True, cwd=config.parent, check=False)
    if done.returncode != 0:
        raise SystemExit(f"ElastAlert2 round failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _alerts_of(kind: str, keys: list[str]) -> int:
    return len(keys) if kind == "any" else len(set(keys))


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return ordered[len(ordered) // 2], ordered[-1]


def compare(args) -> dict:
    _data_dir, dataset, stored = open_dataset(args)
    lookback_delta = _duration(args.lookback)
    prefix = engine_prefix(args.events, dataset)
    with engine_urls(["opensearch"]) as urls, configured_store("opensearch", urls["opensearch"], prefix, dataset,
                                                                stored):
        auditui_ms, auditui_counts = _auditui_round(args.lookback, args.runs)
    elastalert: dict[int, dict] = {}
    with tempfile.TemporaryDirectory(prefix="auditui-elastalert-") as name:
        folder = Path(name)
        (folder / "rules").mkdir()
        kinds, left_out = _write_rules(folder / "rules", args.lookback, f"{prefix}-*")
        config = _write_config(folder, lookback_delta, prefix)
        for threads in [int(t) for t in args.threads.split(",")]:
            rounds = [_elastalert_round(config, lookback_delta, threads) for _ in range(args.runs)]
            elastalert[threads] = {"ms": [r["seconds"] * 1000 for r in rounds], "last": rounds[-1]}
    last = elastalert[max(elastalert)]["last"]
    per_rule = {name: {"type": kind, "auditui": auditui_counts.get(name, 0),
                       "elastalert": _alerts_of(kind, last["matches"].get(name, [])),
                       "elastalert_matches": len(last["matches"].get(name, []))} for name, kind in kinds.items()}
    return {"events": stored, "lookback": args.lookback, "rules": len(kinds) + len(left_out),
            "translated": len(kinds), "left_out": left_out, "auditui_ms": auditui_ms,
            "elastalert_ms": {str(t): e["ms"] for t, e in elastalert.items()},
            "elastalert_errors": last["errors"], "per_rule": per_rule,
            "same": sum(1 for r in per_rule.values() if r["auditui"] == r["elastalert"])}


def _duration(text: str) -> timedelta:
    from alerts.spec import parse_duration

    return parse_duration(text)


def report(result: dict, out) -> None:
    p50, p95 = _percentiles(result["auditui_ms"])
    out.write(f"store: {result['events']:,} events on OpenSearch, lookback {result['lookback']}, "
              f"{result['rules']} rules ({result['translated']} translated for ElastAlert2)\n\n")
    out.write(f"{'one round, every rule due':<44} {'p50 ms':>9} {'max ms':>9}\n")
    out.write(f"{'auditui (evaluate_alerts, 4 threads)':<44} {p50:9,.0f} {p95:9,.0f}\n")
    for threads, samples in result["elastalert_ms"].items():
        p50, p95 = _percentiles(samples)
        out.write(f"{f'ElastAlert2 2.19.0 ({threads} thread(s))':<44} {p50:9,.0f} {p95:9,.0f}\n")
    by_type: dict[str, list[int]] = {}
    for row in result["per_rule"].values():
        tally = by_type.setdefault(row["type"], [0, 0, 0, 0])
        tally[0] += 1
        tally[1] += row["auditui"] == row["elastalert"]
        tally[2] += row["auditui"]
        tally[3] += row["elastalert"]
    out.write(f"\n{'rule type':<20} {'rules':>6} {'same count':>11} {'auditui alerts':>15} {'ElastAlert2':>12}\n")
    for kind, (rules, same, ours, theirs) in sorted(by_type.items()):
        out.write(f"{kind:<20} {rules:6} {same:11} {ours:15,} {theirs:12,}\n")
    differ = {n: r for n, r in result["per_rule"].items() if r["auditui"] != r["elastalert"]}
    for name, row in sorted(differ.items())[:30]:
        out.write(f"  differs: {name} ({row['type']}): auditui {row['auditui']}, ElastAlert2 {row['elastalert']} "
                  f"({row['elastalert_matches']} matches)\n")
    for name, why in sorted(result["left_out"].items()):
        out.write(f"  not translated: {name}: {why}\n")
    for error in result["elastalert_errors"][:10]:
        out.write(f"  ElastAlert2 error: {error}\n")


def main() -> None:
    parser = dataset_arguments(__doc__, events=300_000, runs=3)
    parser.add_argument("--lookback", default="10m")
    parser.add_argument("--threads", default="1,10", help="ElastAlert2 threads, comma-separated")
    args = parser.parse_args()
    if not VENV_PYTHON.exists():
        raise SystemExit("run bench/elastalert/setup.sh first (ElastAlert2 in bench/.venv-elastalert)")
    started = time.monotonic()
    result = compare(args)
    report(result, sys.stderr if args.json else sys.stdout)
    if args.json:
        print(json.dumps({**result, "wall_s": round(time.monotonic() - started, 1)}))


if __name__ == "__main__":
    main()

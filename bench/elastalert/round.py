"""One ElastAlert2 evaluation round, every rule due: run with bench/.venv-elastalert/bin/python.

    round.py CONFIG START END THREADS

ElastAlert2's own loop cannot do this: ``elastalert --start S --end E`` with an end in the past
exits before its first run ("End time falls before the next run time"), and its scheduler runs
each rule on its own timer. So this drives what the scheduler's job does (``run_rule`` over
``[START, END]``) for every rule, on ``THREADS`` threads (ElastAlert's ``max_threads``, 10 by
default; 1 = one after the other), in ``--debug`` mode (no writeback index, nothing sent). Each
match is recorded instead of alerted; prints one JSON line: the round's seconds (rules loaded
before the clock starts) and the matches of each rule with their ``query_key`` values.
"""

from __future__ import annotations

import json
import sys
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

from elastalert.elastalert import ElastAlerter
from elastalert.util import lookup_es_key, ts_to_dt


def main() -> None:
    config, start, end, threads = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    matches: dict[str, list] = defaultdict(list)

    def record(self, found, rule, alert_time=None, retried=False):  # replaces ElastAlerter.alert
        key = rule.get("query_key")
        for match in found:
            matches[rule["name"]].append(lookup_es_key(match, key) if key else match.get("_id"))

    ElastAlerter.alert = record
    alerter = ElastAlerter(["--config", config, "--debug", "--start", start, "--end", end])
    starttime, endtime = ts_to_dt(start), ts_to_dt(end)
    errors: list[str] = []

    def run(rule) -> None:
        try:
            alerter.run_rule(rule, endtime, starttime)
        except Exception as error:  # noqa: BLE001 (one failing rule must not hide the others)
            errors.append(f"{rule['name']}: {error}")

    started = time.perf_counter()
    if threads <= 1:
        for rule in alerter.rules:
            run(rule)
    else:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            list(pool.map(run, alerter.rules))
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "rules": len(alerter.rules), "errors": errors,
                      "matches": {name: [str(k) for k in keys] for name, keys in matches.items()}}))


if __name__ == "__main__":
    main()

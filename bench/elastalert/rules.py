"""GlobalAlert specs as ElastAlert2 rules (issue 14 item 8), for bench/elastalert_compare.py.

The translation keeps auditui's meaning of a rule over one window:

* neither ``aggregateBy`` nor a metric (one alert event per record) → ``any``;
* ``count`` (with or without ``aggregateBy``) → ``frequency`` with ``num_events``;
* ``avg``/``max``/``min``/``sum`` → ``metric_aggregation`` with ``max_threshold`` (``gt``/``gte``)
  or ``min_threshold`` (``lt``/``lte``).

auditui evaluates every cluster apart (the cluster is always a bucket key), so ``cluster`` leads
every ``query_key``. The filter is the query compiled by auditui's own compiler to the query DSL
(``auditui.events.store.dsl``): both engines run the same filter, what differs is how they
evaluate the rule. Rules ElastAlert cannot say (``eq``/``not_eq``, ``count`` below a threshold, a
key that is not an indexed field) are left out and listed.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

# Both engines see the same instants; tiny offsets turn ">=" into ElastAlert's ">".
_EPSILON = 1e-6


class Untranslatable(ValueError):
    pass


def _minutes(delta: timedelta) -> dict:
    return {"minutes": delta.total_seconds() / 60}


def _keys(spec: dict) -> list[str]:
    from alerts.events_face import store_field

    fields = ["cluster"]
    for key in spec.get("aggregateBy") or []:
        name = store_field(key)
        if name is None:
            raise Untranslatable(f"aggregateBy {key!r} is not an indexed field")
        if name not in fields:
            fields.append(name)
    return fields


def _count_rule(spec: dict) -> dict:
    condition, threshold = spec["condition"], float(spec["threshold"])
    if condition == "gte":
        needed = threshold
    elif condition == "gt":
        needed = threshold + 1
    else:
        raise Untranslatable(f"count {condition}: frequency only fires on at least N events")
    return {"type": "frequency", "num_events": max(1, int(-(-needed // 1)))}


def _metric_rule(spec: dict) -> dict:
    from alerts.events_face import store_field

    condition, threshold = spec["condition"], float(spec["threshold"])
    bounds = {"gt": ("max_threshold", threshold), "gte": ("max_threshold", threshold - _EPSILON),
              "lt": ("min_threshold", threshold), "lte": ("min_threshold", threshold + _EPSILON)}
    if condition not in bounds:
        raise Untranslatable(f"{spec['metric']} {condition}: metric_aggregation has only max/min thresholds")
    name, bound = bounds[condition]
    field = store_field(spec["field"])
    if field is None:
        raise Untranslatable(f"field {spec['field']!r} is not an indexed field")
    agg = {"avg": "avg", "max": "max", "min": "min", "sum": "sum"}[spec["metric"]]
    return {"type": "metric_aggregation", "metric_agg_key": field, "metric_agg_type": agg, name: bound,
            "terms_size": 10_000}


def translate(name: str, rule: Any, index: str) -> dict:
    """The ElastAlert2 rule of a cleaned GlobalAlert (``alerts.spec.Rule``)."""
    from auditui.events.store.dsl import MATCH_ALL, compile_query

    spec = rule.spec
    body: dict[str, Any] = {
        "name": name, "index": index, "timestamp_field": "time", "timestamp_type": "unix_ms",
        "filter": [] if rule.query is None or compile_query(rule.query) == MATCH_ALL
        else [{"query": compile_query(rule.query)}],
        "realert": {"minutes": 0}, "alert": ["debug"], "buffer_time": _minutes(rule.lookback),
        "timeframe": _minutes(rule.lookback),
    }
    metric = spec.get("metric")
    if not metric and not spec.get("aggregateBy"):
        body["type"] = "any"
        body.pop("timeframe")
        return body
    keys = _keys(spec)
    body["query_key"] = keys if len(keys) > 1 else keys[0]
    if metric is None:  # every bucket fires
        body.update(type="frequency", num_events=1)
    elif metric == "count":
        body.update(_count_rule(spec))
    else:
        body.pop("timeframe")
        body.update(_metric_rule(spec))
    return body

"""``GlobalAlertSpec`` (``projectcalico.org/v3``) checked as Calico checks it, defaults filled in.

Pure: no database. ``clean_spec`` returns the spec as auditui stores and prints it; every
refusal is a ``ResourceInvalid`` naming the field (``spec.metric``) and saying what to write.
Calico's rules (reference §4): a ``field`` needs a metric, ``count`` takes no field, avg/max/min/sum
need one, every metric needs a condition, each ``${var}`` of the description or summary is the
metric or an ``aggregateBy`` key, and the query parses after substitution with keys valid for
audit logs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from alerts.events_face import store_field
from auditui.events.query import Node, QueryError, keys, parse
from auditui.events.query.fields import COLUMNS
from auditui.events.store.base import GROUPABLE_FIELDS, NUMERIC_FIELDS
from auditui.resources.registry import ResourceInvalid

SPEC_FIELDS = (
    "type", "description", "summary", "severity", "period", "lookback", "dataSet", "query",
    "aggregateBy", "field", "metric", "condition", "threshold", "substitutions", "detector",
)
DEFAULT_PERIOD = "5m"
DEFAULT_LOOKBACK = "10m"
MIN_DURATION = timedelta(minutes=1)
METRICS = ("avg", "max", "min", "sum", "count")
CONDITIONS = ("eq", "not_eq", "gt", "gte", "lt", "lte")
OTHER_DATA_SETS = ("dns", "flows", "l7", "waf", "vulnerability")
AUDIT_ONLY = "auditui receives Kubernetes audit logs only: use dataSet: audit"
# The top-level fields of an audit.k8s.io Event: a key is valid when it starts with one of them
# (Calico's audit keys are all here; beyond Calico, any path into the event, requestObject.* too).
EVENT_FIELDS = frozenset({
    "kind", "apiVersion", "level", "auditID", "stage", "requestURI", "verb", "user", "impersonatedUser",
    "sourceIPs", "userAgent", "objectRef", "responseStatus", "requestObject", "responseObject",
    "requestReceivedTimestamp", "stageTimestamp", "annotations",
})
# Calico's bare keys, and auditui's own (the cluster, how an event came in).
EXTRA_KEYS = frozenset({"name", "timestamp", "time", "cluster", "source"})
_VAR = re.compile(r"\$\{([^}]*)\}")
_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}


@dataclass(frozen=True)
class Rule:
    """A cleaned spec, ready to evaluate: durations as timedeltas, the query parsed."""

    spec: dict[str, Any]
    period: timedelta
    lookback: timedelta
    query: Node | None

    @property
    def aggregate_by(self) -> list[str]:
        return list(self.spec.get("aggregateBy") or [])

    @property
    def metric(self) -> str | None:
        return self.spec.get("metric")


def parse_duration(text: str) -> timedelta:
    """A Go duration (``5m``, ``1h30m``, ``90s``); ValueError otherwise."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError("empty")
    position, seconds = 0, 0.0
    text = text.strip()
    while position < len(text):
        match = _DURATION_PART.match(text, position)
        if match is None:
            raise ValueError(text)
        seconds += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        position = match.end()
    return timedelta(seconds=seconds)


def _fail(field: str, message: str) -> ResourceInvalid:
    return ResourceInvalid(f"spec.{field}" if field else "spec", message)


def _string(spec: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    value = spec.get(name)
    if value is None or value == "":
        if required:
            raise _fail(name, "required: a text, e.g. 'Pod created in payments'")
        return None
    if not isinstance(value, str):
        raise _fail(name, f"must be a text, not {type(value).__name__}")
    return value


def _check_type_and_data_set(spec: dict[str, Any]) -> None:
    kind = spec.get("type", "RuleBased")
    if kind == "AnomalyDetection" or spec.get("detector") is not None:
        field = "type" if kind == "AnomalyDetection" else "detector"
        raise _fail(field, f"AnomalyDetection is not supported: {AUDIT_ONLY} with type: RuleBased")
    if kind != "RuleBased":
        raise _fail("type", f"must be RuleBased (got {kind!r})")
    data_set = spec.get("dataSet")
    if data_set in OTHER_DATA_SETS:
        raise _fail("dataSet", f"{data_set!r} is not available: {AUDIT_ONLY}")
    if data_set != "audit":
        raise _fail("dataSet", f"required: audit (got {data_set!r}); {AUDIT_ONLY}")


def _duration(spec: dict[str, Any], name: str, default: str) -> tuple[str, timedelta]:
    text = spec.get(name) or default
    try:
        value = parse_duration(text)
    except ValueError:
        raise _fail(name, f"{text!r} is not a duration: write e.g. 5m, 1h or 1h30m") from None
    if value < MIN_DURATION:
        raise _fail(name, f"{text} is too short: at least 1m")
    return text, value


def _severity(spec: dict[str, Any]) -> int:
    value = spec.get("severity")
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 100:
        raise _fail("severity", f"required: a whole number from 1 to 100 (got {value!r})")
    return value


def _substitutions(spec: dict[str, Any]) -> list[dict[str, Any]]:
    value = spec.get("substitutions") or []
    if not isinstance(value, list):
        raise _fail("substitutions", "must be a list of {name, values}")
    seen: set[str] = set()
    cleaned = []
    for index, item in enumerate(value):
        where = f"substitutions[{index}]"
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not item["name"]:
            raise _fail(where, "each needs a name and values: {name: verbs, values: [create, delete]}")
        if item["name"].lower() in seen:
            raise _fail(f"{where}.name", f"{item['name']!r} appears twice (names are case-insensitive)")
        seen.add(item["name"].lower())
        values = item.get("values")
        if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
            raise _fail(f"{where}.values", "must be a non-empty list of texts (wildcards * and ? allowed)")
        cleaned.append({"name": item["name"], "values": list(values)})
    return cleaned


def _aggregate_by(spec: dict[str, Any]) -> list[str]:
    value = spec.get("aggregateBy") or []
    if not isinstance(value, list) or not all(isinstance(k, str) for k in value):
        raise _fail("aggregateBy", "must be a list of keys, e.g. [objectRef.namespace, objectRef.name]")
    for index, key in enumerate(value):
        if store_field(key) not in GROUPABLE_FIELDS:
            groupable = sorted(k for k in _groupable_keys())
            raise _fail(f"aggregateBy[{index}]", f"cannot aggregate by {key!r}; use one of {', '.join(groupable)}")
    if len(set(value)) != len(value):
        raise _fail("aggregateBy", "lists a key twice")
    return list(value)


def _groupable_keys() -> list[str]:
    return [key for key, column in COLUMNS.items() if column.name in GROUPABLE_FIELDS and key != "cluster"]


def _numeric_keys() -> list[str]:
    return [key for key, column in COLUMNS.items() if column.name in NUMERIC_FIELDS]


def _metric(spec: dict[str, Any]) -> dict[str, Any]:
    """``field``, ``metric``, ``condition`` and ``threshold``, by Calico's rules."""
    field, metric, condition = spec.get("field") or None, spec.get("metric") or None, spec.get("condition") or None
    if metric is not None and metric not in METRICS:
        raise _fail("metric", f"unknown metric {metric!r}; use one of {', '.join(METRICS)}")
    if field is not None and metric is None:
        raise _fail("field", "a field needs a metric: add metric: avg, max, min or sum (or remove field)")
    if metric == "count" and field is not None:
        raise _fail("field", "metric count takes no field: remove field (or use avg, max, min or sum)")
    if metric in ("avg", "max", "min", "sum") and field is None:
        raise _fail("field", f"metric {metric} needs a numeric field: add field: {_numeric_keys()[0]}")
    if field is not None and store_field(field) not in NUMERIC_FIELDS:
        raise _fail("field", f"{field!r} is not a numeric field; use {', '.join(_numeric_keys())}")
    if metric is not None and condition is None:
        raise _fail("condition", f"metric {metric} needs a condition: one of {', '.join(CONDITIONS)}")
    if condition is not None and condition not in CONDITIONS:
        raise _fail("condition", f"unknown condition {condition!r}; use one of {', '.join(CONDITIONS)}")
    if condition is not None and metric is None:
        raise _fail("metric", "a condition needs a metric: add metric: count (or avg, max, min, sum with a field)")
    threshold = spec.get("threshold", 0 if condition else None)
    if threshold is not None and (isinstance(threshold, bool) or not isinstance(threshold, int | float)):
        raise _fail("threshold", f"must be a number (got {threshold!r})")
    cleaned: dict[str, Any] = {}
    for name, value in (("field", field), ("metric", metric), ("condition", condition)):
        if value is not None:
            cleaned[name] = value
    if condition is not None:
        cleaned["threshold"] = threshold
    return cleaned


def _check_variables(spec: dict[str, Any], allowed: set[str]) -> None:
    for name in ("description", "summary"):
        for variable in _VAR.findall(spec.get(name) or ""):
            if variable not in allowed:
                choices = ", ".join(sorted(allowed)) or "none: add aggregateBy or a metric first"
                raise _fail(name, f"${{{variable}}} is neither the metric nor an aggregateBy key; use {choices}")


def _query(spec: dict[str, Any], substitutions: list[dict[str, Any]]) -> Node | None:
    text = spec.get("query") or ""
    if not isinstance(text, str):
        raise _fail("query", "must be a text, e.g. verb=create AND \"objectRef.resource\"=pods")
    if not text.strip():
        return None
    try:
        node = parse(text, {s["name"]: s["values"] for s in substitutions})
    except QueryError as exc:
        raise _fail("query", str(exc)) from None
    for key in keys(node):
        if key.split(".", 1)[0] not in EVENT_FIELDS and key not in EXTRA_KEYS:
            raise _fail("query", f"{key!r} is not a key of audit logs; use e.g. verb, \"objectRef.resource\", "
                                 "\"objectRef.namespace\", \"user.username\", \"responseStatus.code\" or a path "
                                 "into requestObject/responseObject")
    return node


def clean_spec(spec: Any) -> Rule:
    """The spec checked, with Calico's defaults; raises ``ResourceInvalid`` naming the field."""
    if not isinstance(spec, dict):
        raise _fail("", "required: an object with description, severity, dataSet and query")
    unknown = sorted(set(spec) - set(SPEC_FIELDS))
    if unknown:
        raise _fail(unknown[0], f"unknown field; a GlobalAlert spec has {', '.join(SPEC_FIELDS[:-1])}")
    _check_type_and_data_set(spec)
    cleaned: dict[str, Any] = {"type": "RuleBased"}
    cleaned["description"] = _string(spec, "description", required=True)
    summary = _string(spec, "summary")
    if summary is not None:
        cleaned["summary"] = summary
    cleaned["severity"] = _severity(spec)
    period_text, period = _duration(spec, "period", DEFAULT_PERIOD)
    lookback_text, lookback = _duration(spec, "lookback", DEFAULT_LOOKBACK)
    cleaned.update(period=period_text, lookback=lookback_text, dataSet="audit")
    substitutions = _substitutions(spec)
    node = _query(spec, substitutions)
    cleaned["query"] = spec.get("query") or ""
    aggregate_by = _aggregate_by(spec)
    if aggregate_by:
        cleaned["aggregateBy"] = aggregate_by
    cleaned.update(_metric(spec))
    _check_variables(cleaned, set(aggregate_by) | ({cleaned["metric"]} if "metric" in cleaned else set()))
    if substitutions:
        cleaned["substitutions"] = substitutions
    return Rule(spec=cleaned, period=period, lookback=lookback, query=node)


def rule_of(spec: dict[str, Any]) -> Rule:
    """A stored (already cleaned) spec as a ``Rule``."""
    return clean_spec(spec)

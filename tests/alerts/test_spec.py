"""``clean_spec``: Calico's defaults, bounds and rules, each refusal naming its field."""

from __future__ import annotations

from datetime import timedelta

import pytest

from alerts.spec import clean_spec, parse_duration
from auditui.resources.registry import ResourceInvalid

BASE = {"description": "pods changed", "severity": 50, "dataSet": "audit", "query": "verb=create"}


def refused(**changes) -> ResourceInvalid:
    spec = {**BASE, **changes}
    spec = {k: v for k, v in spec.items() if v is not None}
    with pytest.raises(ResourceInvalid) as error:
        clean_spec(spec)
    return error.value


def test_it_fills_in_calicos_defaults():
    rule = clean_spec(BASE)
    assert rule.spec["period"] == "5m" and rule.spec["lookback"] == "10m" and rule.spec["type"] == "RuleBased"
    assert rule.period == timedelta(minutes=5) and rule.lookback == timedelta(minutes=10)


def test_it_reads_go_durations():
    assert parse_duration("1h30m") == timedelta(minutes=90)
    assert parse_duration("90s") == timedelta(seconds=90)


@pytest.mark.parametrize("changes, field, words", [
    ({"severity": 0}, "spec.severity", "1 to 100"),
    ({"severity": 101}, "spec.severity", "1 to 100"),
    ({"description": None}, "spec.description", "required"),
    ({"period": "30s"}, "spec.period", "at least 1m"),
    ({"lookback": "ten minutes"}, "spec.lookback", "not a duration"),
    ({"field": "responseStatus.code"}, "spec.field", "needs a metric"),
    ({"metric": "count", "field": "responseStatus.code", "condition": "gt"}, "spec.field", "takes no field"),
    ({"metric": "avg", "condition": "gt"}, "spec.field", "needs a numeric field"),
    ({"metric": "count"}, "spec.condition", "needs a condition"),
    ({"metric": "max", "field": "verb", "condition": "gt"}, "spec.field", "not a numeric field"),
    ({"description": "for ${objectRef.name}"}, "spec.description", "aggregateBy"),
    ({"summary": "${user.username}", "aggregateBy": ["objectRef.name"]}, "spec.summary", "objectRef.name"),
    ({"query": "verb=create AND ("}, "spec.query", "line 1"),
    ({"query": "flow.action=deny"}, "spec.query", "not a key of audit logs"),
    ({"query": "verb=${verbs}"}, "spec.query", "unknown variable"),
    ({"aggregateBy": ["requestObject.spec"]}, "spec.aggregateBy[0]", "cannot aggregate"),
    ({"substitutions": [{"name": "v", "values": ["a"]}, {"name": "V", "values": ["b"]}]},
     "spec.substitutions[1].name", "twice"),
    ({"colour": "red"}, "spec.colour", "unknown field"),
])
def test_it_refuses_what_calico_refuses_naming_the_field(changes, field, words):
    error = refused(**changes)
    assert error.field == field and words in error.message


@pytest.mark.parametrize("changes, field", [
    ({"dataSet": "flows"}, "spec.dataSet"),
    ({"dataSet": "dns"}, "spec.dataSet"),
    ({"dataSet": "vulnerability"}, "spec.dataSet"),
    ({"type": "AnomalyDetection"}, "spec.type"),
    ({"detector": {"name": "port_scan"}}, "spec.detector"),
])
def test_it_refuses_other_data_sets_saying_auditui_receives_audit_logs_only(changes, field):
    error = refused(**changes)
    assert error.field == field and "audit logs only" in error.message


def test_it_accepts_substitutions_metrics_and_templated_summaries():
    rule = clean_spec({**BASE, "query": "verb IN ${verbs}", "aggregateBy": ["objectRef.namespace"],
                       "metric": "count", "condition": "gte", "threshold": 5,
                       "summary": "${count} in ${objectRef.namespace}",
                       "substitutions": [{"name": "verbs", "values": ["create", "delete"]}]})
    assert rule.spec["threshold"] == 5 and rule.query is not None

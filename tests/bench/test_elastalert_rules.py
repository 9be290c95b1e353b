"""bench/elastalert/rules.py: GlobalAlerts as ElastAlert2 rules with auditui's meaning."""

from __future__ import annotations

import pytest

from alerts.spec import clean_spec
from bench.elastalert.rules import Untranslatable, translate

BASE = {"severity": 50, "dataSet": "audit", "description": "d", "lookback": "10m"}


def rule_of(**spec):
    return translate("r", clean_spec({**BASE, **spec}), "auditui-events-*")


def test_it_makes_a_per_record_rule_an_any_rule_over_auditui_indices():
    rule = rule_of(query='verb=create AND "objectRef.resource"=pods')
    assert rule["type"] == "any"
    assert (rule["index"], rule["timestamp_field"], rule["timestamp_type"]) == ("auditui-events-*", "time", "unix_ms")
    assert rule["filter"] and "query_key" not in rule


def test_it_makes_an_aggregated_count_a_frequency_rule_keyed_by_cluster_first():
    rule = rule_of(query="verb=delete", aggregateBy=["user.username"], metric="count", condition="gt", threshold=4)
    assert (rule["type"], rule["num_events"], rule["query_key"]) == ("frequency", 5, ["cluster", "username"])
    assert rule["timeframe"] == {"minutes": 10.0}


def test_it_makes_a_max_gte_rule_a_metric_aggregation_just_below_the_threshold():
    rule = rule_of(query="verb=get", metric="max", field="responseStatus.code", condition="gte", threshold=400)
    assert rule["type"] == "metric_aggregation"
    assert (rule["metric_agg_key"], rule["metric_agg_type"]) == ("response_code", "max")
    assert 399.99 < rule["max_threshold"] < 400 and rule["query_key"] == "cluster"


def test_it_refuses_a_condition_elastalert_cannot_say():
    with pytest.raises(Untranslatable, match="eq"):
        rule_of(query="verb=get", metric="avg", field="responseStatus.code", condition="eq", threshold=200)

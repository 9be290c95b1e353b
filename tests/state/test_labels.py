"""Kubernetes label selectors (objects and query strings) and Calico's automatic labels."""

from __future__ import annotations

import pytest

from auditui.state.labels import endpoint_labels, label_selector_matches, named_labels, selector_string_matches

LABELS = {"app": "web", "tier": "front"}


@pytest.mark.parametrize(("selector", "expected"), [
    ({}, True),
    (None, False),
    ({"matchLabels": {"app": "web"}}, True),
    ({"matchLabels": {"app": "db"}}, False),
    ({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["front", "back"]}]}, True),
    ({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["front"]}]}, False),
    ({"matchExpressions": [{"key": "zone", "operator": "NotIn", "values": ["a"]}]}, True),
    ({"matchExpressions": [{"key": "app", "operator": "Exists"}]}, True),
    ({"matchExpressions": [{"key": "app", "operator": "DoesNotExist"}]}, False),
    ({"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "x", "operator": "Exists"}]}, False),
])
def test_it_matches_kubernetes_label_selectors(selector, expected):
    assert label_selector_matches(selector, LABELS) is expected


@pytest.mark.parametrize(("text", "expected"), [
    ("app=web", True), ("app==web", True), ("app!=web", False), ("app=web,tier=back", False),
    ("tier in (front, back)", True), ("tier notin (front)", False), ("app", True), ("!app", False),
    ("!zone", True), ("zone", False),
])
def test_it_matches_label_selector_strings(text, expected):
    assert selector_string_matches(text, LABELS) is expected


def test_it_adds_calicos_automatic_labels():
    assert endpoint_labels({"app": "web"}, "payments", "front") == {
        "app": "web", "projectcalico.org/namespace": "payments", "projectcalico.org/orchestrator": "k8s",
        "projectcalico.org/serviceaccount": "front",
    }
    assert named_labels({"team": "money"}, "payments") == {"team": "money", "projectcalico.org/name": "payments"}

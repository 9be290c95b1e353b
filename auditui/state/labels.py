"""Label matching besides Calico's selectors: Kubernetes ``LabelSelector`` objects
(``matchLabels`` / ``matchExpressions``), the ``labelSelector`` string of a list or
``deletecollection`` request, and the labels Calico adds to what its selectors see."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

NAMESPACE_LABEL = "projectcalico.org/namespace"
SERVICE_ACCOUNT_LABEL = "projectcalico.org/serviceaccount"
ORCHESTRATOR_LABEL = "projectcalico.org/orchestrator"
NAME_LABEL = "projectcalico.org/name"


def endpoint_labels(pod_labels: Mapping[str, str], namespace: str, service_account: str) -> dict[str, str]:
    """A pod's labels as Calico's selectors see its workload endpoint."""
    labels = dict(pod_labels)
    labels[NAMESPACE_LABEL] = namespace
    labels[ORCHESTRATOR_LABEL] = "k8s"
    if service_account:
        labels[SERVICE_ACCOUNT_LABEL] = service_account
    return labels


def named_labels(labels: Mapping[str, str], name: str) -> dict[str, str]:
    """A namespace's or service account's labels as ``namespaceSelector`` and
    ``serviceAccountSelector`` see them: Calico adds ``projectcalico.org/name``."""
    return {**labels, NAME_LABEL: name}


def label_selector_matches(selector: Any, labels: Mapping[str, str]) -> bool:
    """A Kubernetes LabelSelector: ``{}`` selects everything; a missing selector (None) nothing."""
    if not isinstance(selector, dict):
        return False
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != str(value):
            return False
    return all(_expression_matches(e, labels) for e in selector.get("matchExpressions") or [])


def _expression_matches(expression: dict, labels: Mapping[str, str]) -> bool:
    key, operator = expression.get("key", ""), expression.get("operator", "")
    values = [str(v) for v in expression.get("values") or []]
    if operator == "In":
        return key in labels and labels[key] in values
    if operator == "NotIn":
        return key not in labels or labels[key] not in values
    if operator == "Exists":
        return key in labels
    if operator == "DoesNotExist":
        return key not in labels
    return False  # an operator the API server would have refused


_REQUIREMENT = re.compile(
    r"^\s*(?P<neg>!)?\s*(?P<key>[^\s!=,()]+)\s*"
    r"(?:(?P<op>==|=|!=)\s*(?P<value>[^\s,()]*)|(?P<setop>notin|in)\s*\((?P<values>[^)]*)\))?\s*$"
)


def selector_string_matches(text: str, labels: Mapping[str, str]) -> bool:
    """A ``labelSelector`` query parameter (``a=b,c!=d,e in (x,y),!f``); an unreadable one
    matches everything (the API server accepted it, and deleting more is the safe guess for a
    state that must not keep objects that are gone)."""
    for part in _split_requirements(text):
        match = _REQUIREMENT.match(part)
        if not match:
            return True
        if not _requirement_matches(match, labels):
            return False
    return True


def _split_requirements(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return [p for p in parts if p.strip()]


def _requirement_matches(match: re.Match, labels: Mapping[str, str]) -> bool:
    key = match["key"]
    if match["op"]:
        equal = labels.get(key) == match["value"]
        return not equal if match["op"] == "!=" else equal
    if match["setop"]:
        values = {v.strip() for v in match["values"].split(",") if v.strip()}
        inside = key in labels and labels[key] in values
        return inside if match["setop"] == "in" else not inside
    return (key in labels) != bool(match["neg"])

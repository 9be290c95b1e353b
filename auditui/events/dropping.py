"""Ingest drop rules: discard events matching a query before they are stored, counting each one.

A rule never breaks ingest: one that cannot be evaluated on an event (it raised) leaves the
event to be stored, and the failure is counted on the rule (``error_total``, ``last_error``),
shown with it in the admin and on the overview. Rules are also tried on representative events
when saved (``rule_problem``), so that one failing on every event is refused at once.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.db.models import F, Q
from django.utils import timezone

from auditui.access.scope import RESERVED_CLUSTER
from auditui.events.models import DropRule
from auditui.events.normalize import normalize_event
from auditui.events.query import QueryError, matches, parse

log = logging.getLogger(__name__)

# How much of an error's text is kept on the rule.
ERROR_TEXT_MAX = 500


@dataclass(frozen=True)
class _CompiledRule:
    pk: int
    name: str
    node: Any


class DropFilter:
    """The enabled rules that apply to one cluster, compiled once per ingest run."""

    def __init__(self, cluster: str) -> None:
        self.cluster = cluster
        self.rules: list[_CompiledRule] = []
        self.counts: Counter[int] = Counter()
        self.errors: Counter[int] = Counter()
        self.last_errors: dict[int, str] = {}
        if cluster == RESERVED_CLUSTER:
            return  # auditui's own trail: no rule may silence the record of what people did to auditui
        rows = list(DropRule.objects.filter(Q(cluster="") | Q(cluster=cluster), enabled=True).order_by("name"))
        if rows:
            self._compile(rows)

    def _compile(self, rows: list[DropRule]) -> None:
        self._matches = matches
        for row in rows:
            try:
                self.rules.append(_CompiledRule(row.pk, row.name, parse(row.query)))
            except QueryError as exc:
                # A rule saved before validation existed must not stop ingest: it is skipped,
                # and the reason is shown with the rule.
                log.warning("drop rule %s is invalid and is ignored: %s", row.name, exc)
                self.last_errors[row.pk] = _short(f"invalid query, the rule is ignored: {exc}")

    def should_drop(self, event: dict, record=None) -> bool:
        """``record``, the already-normalised event, spares the matcher normalising it again."""
        if not self.rules:
            return False
        for rule in self.rules:
            try:
                matched = self._matches(rule.node, event, cluster=self.cluster, record=record)
            except Exception as exc:  # noqa: BLE001 - whatever a rule does wrong, the event is kept
                self._rule_failed(rule, exc)
                continue
            if matched:
                self.counts[rule.pk] += 1
                return True
        return False

    def _rule_failed(self, rule: _CompiledRule, exc: Exception) -> None:
        if not self.errors[rule.pk]:  # once per rule and batch: a broken rule fails on every event
            log.warning("drop rule %s failed on an event, which is kept: %s: %s", rule.name, type(exc).__name__, exc)
        self.errors[rule.pk] += 1
        self.last_errors[rule.pk] = _short(f"{type(exc).__name__}: {exc}")

    def flush_counts(self) -> int:
        """Add the counts gathered so far to the rules (atomic increments); returns the total
        dropped."""
        total = sum(self.counts.values())
        now = timezone.now()
        for pk, count in self.counts.items():
            DropRule.objects.filter(pk=pk).update(dropped_total=F("dropped_total") + count, last_dropped_at=now)
        for pk, message in self.last_errors.items():
            DropRule.objects.filter(pk=pk).update(
                error_total=F("error_total") + self.errors[pk], last_error=message, last_error_at=now)
        self.counts.clear()
        self.errors.clear()
        self.last_errors.clear()
        return total


def _short(text: str) -> str:
    return text if len(text) <= ERROR_TEXT_MAX else text[: ERROR_TEXT_MAX - 1] + "…"


# --- test run when saved -----------------------------------------------------------------------

def representative_events() -> list[dict]:
    """Events of the shapes ingest sees: metadata only, with request and response bodies, a
    denied request, impersonation, a cluster-scoped object, a RequestReceived stage without
    response, and odd values (a big number, nesting, a list where an object is usual)."""
    base = {
        "kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "Metadata", "auditID": "drop-rule-test-1",
        "stage": "ResponseComplete", "requestURI": "/api/v1/namespaces/default/pods/web-1", "verb": "get",
        "user": {"username": "alice@example.com", "groups": ["system:authenticated"]},
        "sourceIPs": ["10.0.0.7"], "userAgent": "kubectl/v1.31.0",
        "objectRef": {"resource": "pods", "namespace": "default", "name": "web-1", "apiVersion": "v1"},
        "responseStatus": {"metadata": {}, "code": 200},
        "requestReceivedTimestamp": "2026-01-01T00:00:00.000000Z", "stageTimestamp": "2026-01-01T00:00:00.012000Z",
        "annotations": {"authorization.k8s.io/decision": "allow"},
    }
    policy = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
              "metadata": {"name": "deny-all", "namespace": "payments", "labels": {"app": "x"}},
              "spec": {"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{"from": [{"podSelector": {}}]}]}}
    return [
        base,
        {**base, "auditID": "drop-rule-test-2", "level": "RequestResponse", "verb": "create",
         "requestURI": "/apis/networking.k8s.io/v1/namespaces/payments/networkpolicies",
         "objectRef": {"resource": "networkpolicies", "namespace": "payments", "name": "deny-all",
                       "apiGroup": "networking.k8s.io", "apiVersion": "v1"},
         "requestObject": policy, "responseObject": {**policy, "status": {}},
         "responseStatus": {"metadata": {}, "code": 201}},
        {**base, "auditID": "drop-rule-test-3", "verb": "delete",
         "responseStatus": {"metadata": {}, "status": "Failure", "reason": "Forbidden", "code": 403},
         "annotations": {"authorization.k8s.io/decision": "forbid"}},
        {**base, "auditID": "drop-rule-test-4", "impersonatedUser": {"username": "system:admin"},
         "user": {"username": "system:serviceaccount:kube-system:deployer"}},
        {**base, "auditID": "drop-rule-test-5", "verb": "list", "requestURI": "/api/v1/nodes",
         "objectRef": {"resource": "nodes", "apiVersion": "v1"}},
        {**base, "auditID": "drop-rule-test-6", "stage": "RequestReceived", "verb": "watch",
         "requestURI": "/api/v1/pods?watch=true", "responseStatus": None},
        {**base, "auditID": "drop-rule-test-7", "level": "Request", "verb": "patch",
         "requestObject": {"spec": {"replicas": 10**18, "ratio": 1e300, "list": [[["deep"]]]},
                           "metadata": [{"name": "a list where an object is usual"}]}},
    ]


def rule_problem(query: str) -> str | None:
    """Why a rule cannot be saved: its query does not parse, or it fails on a representative
    event (ingest would keep those events and count the failure on every one). None: it can."""
    try:
        node = parse(query)
    except QueryError as exc:
        return str(exc)
    for event in representative_events():
        record = normalize_event(event, cluster="drop-rule-test")
        try:
            matches(node, event, cluster=record.cluster, record=record)
        except Exception as exc:  # noqa: BLE001 - the reason is the answer
            return (f"the rule fails on a {event['level']}-level {event['verb']} event "
                    f"({type(exc).__name__}: {_short(str(exc))})")
    return None

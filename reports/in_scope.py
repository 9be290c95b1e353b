"""``spec.endpoints`` of a policy-audit report: only events on the policies applied to those
endpoints in the interval are kept, as Calico's reporter does (reference §3.2 step 5; staged
policies and network sets are dropped). Uses the cluster state's public functions
(``auditui.state.interval.endpoints_over``, ``auditui.state.selector``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from auditui.state.interval import endpoints_over
from auditui.state.selector import parse

# (apiGroup, resource) of an event → the kind as Calico's resource ids name it.
POLICY_KINDS = {
    ("networking.k8s.io", "networkpolicies"): "NetworkPolicy",
    ("projectcalico.org", "networkpolicies"): "NetworkPolicy",
    ("projectcalico.org", "globalnetworkpolicies"): "GlobalNetworkPolicy",
}


class UnsupportedSelection(ValueError):
    pass


def _matches(endpoints: dict[str, Any], namespace: str, service_account: str, labels: dict[str, str]) -> bool:
    selector = endpoints.get("selector")
    if selector and not parse(selector).matches(labels):
        return False
    names = (endpoints.get("namespaces") or {}).get("names")
    if names and namespace not in names:
        return False
    accounts = (endpoints.get("serviceAccounts") or {}).get("names")
    return not (accounts and service_account not in accounts)


def applied_policies(endpoints: dict[str, Any], *, clusters: list[str], start: datetime,
                     end: datetime) -> set[tuple[str, str]]:
    """(cluster, policy id) of every policy applied to an in-scope endpoint in ``[start, end)``."""
    for key in ("namespaces", "serviceAccounts"):
        if (endpoints.get(key) or {}).get("selector"):
            raise UnsupportedSelection(
                f"spec.endpoints.{key}.selector is not applied by auditui yet (it needs {key} labels); "
                f"use {key}.names or the endpoint selector")
    applied: set[tuple[str, str]] = set()
    for cluster in clusters:
        for found in endpoints_over(cluster=cluster, start=start, end=end).values():
            endpoint = found.endpoint
            if _matches(endpoints, endpoint.namespace, endpoint.service_account, endpoint.calico_labels):
                applied.update((cluster, policy) for policy in found.applied)
    return applied


def policy_id(event: dict[str, Any]) -> str | None:
    """The event's object as Calico names resources: ``Kind.group(namespace/name)``."""
    ref = event.get("objectRef") or {}
    kind = POLICY_KINDS.get((ref.get("apiGroup", ""), ref.get("resource", "")))
    if kind is None or not ref.get("name"):
        return None
    where = f"{ref['namespace']}/{ref['name']}" if ref.get("namespace") else ref["name"]
    return f"{kind}.{ref['apiGroup']}({where})"

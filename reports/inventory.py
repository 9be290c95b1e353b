"""What inventory and network-access reports read: every endpoint of every cluster over the
interval, from the cluster state (``auditui.state.interval``: Calico's worst case, protected for
the whole interval, exposed at any time), kept when the report's ``spec.endpoints`` selects it
(``reports.in_scope.Selection``: selector, namespaces and service accounts, ANDed).

The data is one row per endpoint with its cluster and namespace, so that a viewer's cut is a
filter on rows and every count (namespaces, services, service accounts) is computed from the rows
kept (``reports.inventory_renderers``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from auditui.access.scope import RESERVED_CLUSTER, ViewerScope
from auditui.events.store import get_store
from auditui.state.interval import IntervalEndpoint, interval_state
from auditui.state.selectors import include_staged
from reports.in_scope import Selection

FLAG_FIELDS = (
    ("ingressProtected", "ingress_protected"), ("egressProtected", "egress_protected"),
    ("ingressFromInternet", "ingress_from_internet"), ("egressToInternet", "egress_to_internet"),
    ("ingressFromOtherNamespace", "ingress_from_other_namespace"),
    ("egressToOtherNamespace", "egress_to_other_namespace"), ("envoyEnabled", "envoy_enabled"),
)


def report_clusters() -> list[str]:
    """Every cluster with events (not auditui's own trail, which holds no cluster's objects)."""
    return sorted(name for name in get_store().cluster_totals(ViewerScope.all()) if name != RESERVED_CLUSTER)


def endpoint_row(cluster: str, found: IntervalEndpoint) -> dict[str, Any]:
    endpoint = found.endpoint
    row: dict[str, Any] = {"cluster": cluster, "namespace": endpoint.namespace, "name": endpoint.name,
                           "serviceAccount": endpoint.service_account}
    row.update({key: getattr(found.flags, attribute) for key, attribute in FLAG_FIELDS})
    row["appliedPolicies"] = list(found.applied)
    row["services"] = list(found.services)
    return row


def endpoints_data(spec: dict[str, Any], *, start: datetime, end: datetime) -> dict[str, Any]:
    """``{"clusters", "completeness": {cluster: …}, "endpoints": [row, …]}``, rows by cluster,
    namespace and name."""
    endpoints = spec.get("endpoints") or {}
    data: dict[str, Any] = {"clusters": [], "completeness": {}, "endpoints": []}
    for cluster in report_clusters():
        selection = Selection(endpoints)
        if selection.needs_labels:
            selection.load_labels(cluster, end)
        found = interval_state(cluster=cluster, start=start, end=end, include_staged=include_staged())
        data["clusters"].append(cluster)
        data["completeness"][cluster] = found.completeness.as_dict()
        for key in sorted(found.endpoints):
            item = found.endpoints[key]
            endpoint = item.endpoint
            if selection.matches(endpoint.namespace, endpoint.service_account, endpoint.calico_labels):
                data["endpoints"].append(endpoint_row(cluster, item))
    return data


def cut(data: dict[str, Any], scope: ViewerScope) -> dict[str, Any]:
    """What a scoped viewer sees: the endpoints of their namespaces (every count follows from
    them), and the completeness of the clusters they see endpoints of."""
    rows = [row for row in data["endpoints"] if scope.allows(row["cluster"], row["namespace"])]
    seen = {row["cluster"] for row in rows}
    return {**data, "endpoints": rows,
            "completeness": {c: v for c, v in data["completeness"].items() if c in seen}}

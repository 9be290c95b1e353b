"""inventory and network-access data → files with Calico's names and columns (reference §3.5),
and the UI summary ("Inscope vs Protected"). Pure: rows in, files out.

Rows name resources as Calico's reports do (``Pod(namespace/name)``, ``Namespace(name)``,
``Service(namespace/name)``); a report over several clusters prefixes each with ``cluster:``.
Namespace and service rows combine their in-scope endpoints as Calico does: protected and Envoy
enabled when every endpoint is. The flow-log columns are present and empty: auditui has no flow
logs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from reports.builtin_types import INVENTORY, LEADING_COLUMNS
from reports.renderers import Interval, _csv

FLOW_LOGS_NOTE = ("trafficAggregationPrefix, endpointsGeneratingTrafficToThisEndpoint and "
                  "endpointsReceivingTrafficFromThisEndpoint are empty: they come from Calico's flow logs, "
                  "which audit logs do not hold")
INVENTORY_SUMMARY = (
    "endpointsNumInScope", "endpointsNumIngressProtected", "endpointsNumEgressProtected", "namespacesNumInScope",
    "namespacesNumIngressProtected", "namespacesNumEgressProtected", "serviceAccountsNumInScope",
)
NETWORK_ACCESS_SUMMARY = (
    "endpointsNumIngressProtected", "endpointsNumEgressProtected", "endpointsNumIngressUnprotected",
    "endpointsNumEgressUnprotected", "endpointsNumIngressFromInternet", "endpointsNumEgressToInternet",
    "endpointsNumIngressFromOtherNamespace", "endpointsNumEgressToOtherNamespace", "endpointsNumEnvoyEnabled",
)
NETWORK_ACCESS_ENDPOINT_FLAGS = (
    "ingressProtected", "egressProtected", "ingressFromInternet", "egressToInternet", "ingressFromOtherNamespace",
    "egressToOtherNamespace", "envoyEnabled",
)
FLOW_COLUMNS = ("trafficAggregationPrefix", "endpointsGeneratingTrafficToThisEndpoint",
                "endpointsReceivingTrafficFromThisEndpoint")


def _bool(value: bool) -> str:
    return "true" if value else "false"  # Go templates print booleans so


@dataclass
class Group:
    """A namespace or a service: its endpoints combined."""

    id: str
    ingress_protected: bool = True
    egress_protected: bool = True
    envoy_enabled: bool = True
    endpoints: int = 0

    def add(self, row: dict[str, Any]) -> None:
        self.ingress_protected &= bool(row["ingressProtected"])
        self.egress_protected &= bool(row["egressProtected"])
        self.envoy_enabled &= bool(row["envoyEnabled"])
        self.endpoints += 1


@dataclass
class Summary:
    endpoints: list[dict[str, Any]]
    namespaces: list[Group] = field(default_factory=list)
    services: list[Group] = field(default_factory=list)

    def count(self, key: str) -> int:
        return sum(1 for row in self.endpoints if row[key])

    def counts(self) -> dict[str, int]:
        total = len(self.endpoints)
        ingress, egress = self.count("ingressProtected"), self.count("egressProtected")
        return {
            "endpointsNumInScope": total, "endpointsNumIngressProtected": ingress,
            "endpointsNumEgressProtected": egress, "endpointsNumIngressUnprotected": total - ingress,
            "endpointsNumEgressUnprotected": total - egress,
            "endpointsNumIngressFromInternet": self.count("ingressFromInternet"),
            "endpointsNumEgressToInternet": self.count("egressToInternet"),
            "endpointsNumIngressFromOtherNamespace": self.count("ingressFromOtherNamespace"),
            "endpointsNumEgressToOtherNamespace": self.count("egressToOtherNamespace"),
            "endpointsNumEnvoyEnabled": self.count("envoyEnabled"),
            "namespacesNumInScope": len(self.namespaces),
            "namespacesNumIngressProtected": sum(g.ingress_protected for g in self.namespaces),
            "namespacesNumEgressProtected": sum(g.egress_protected for g in self.namespaces),
            "serviceAccountsNumInScope": len({(r["cluster"], r["namespace"], r["serviceAccount"])
                                              for r in self.endpoints if r["serviceAccount"]}),
        }


class Names:
    """Calico's resource ids, with the cluster when the report covers several."""

    def __init__(self, clusters: Sequence[str]) -> None:
        self.several = len(clusters) > 1

    def _prefix(self, row: dict[str, Any]) -> str:
        return f"{row['cluster']}:" if self.several else ""

    def endpoint(self, row: dict[str, Any]) -> str:
        return f"{self._prefix(row)}Pod({row['namespace']}/{row['name']})"

    def namespace(self, row: dict[str, Any]) -> str:
        return f"{self._prefix(row)}Namespace({row['namespace']})"

    def service(self, row: dict[str, Any], name: str) -> str:
        return f"{self._prefix(row)}Service({row['namespace']}/{name})"


def summarise(data: dict[str, Any]) -> tuple[Summary, Names]:
    names = Names(data.get("clusters") or [])
    summary = Summary(list(data["endpoints"]))
    namespaces: dict[str, Group] = {}
    services: dict[str, Group] = {}
    for row in summary.endpoints:
        ns_id = names.namespace(row)
        namespaces.setdefault(ns_id, Group(ns_id)).add(row)
        for service in row["services"]:
            service_id = names.service(row, service)
            services.setdefault(service_id, Group(service_id)).add(row)
    summary.namespaces = [namespaces[k] for k in sorted(namespaces)]
    summary.services = [services[k] for k in sorted(services)]
    return summary, names


def _charts(counts: dict[str, int]) -> list[dict[str, Any]]:
    """Calico's four radial charts: endpoints and namespaces, protected ingress and egress."""
    charts = []
    for direction in ("Ingress", "Egress"):
        for heading in ("Endpoints", "Namespaces"):
            kind = heading.lower()
            charts.append({"heading": heading, "label": f"Protected {direction.lower()}",
                           "value": counts[f"{kind}Num{direction}Protected"], "total": counts[f"{kind}NumInScope"]})
    return charts


def ui_summary(report_type: str, counts: dict[str, int], data: dict[str, Any]) -> dict[str, Any]:
    summary: dict[str, Any] = {"title": "Inscope vs Protected", **counts, "charts": _charts(counts),
                               "completeness": data.get("completeness", {})}
    if report_type != INVENTORY:
        summary["flowLogs"] = FLOW_LOGS_NOTE
    return summary


def inventory(interval: Interval, data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, bytes]]:
    summary, names = summarise(data)
    counts = summary.counts()
    endpoints = [[names.endpoint(r), _bool(r["ingressProtected"]), _bool(r["egressProtected"]),
                  _bool(r["envoyEnabled"]), ";".join(r["appliedPolicies"]),
                  ";".join(names.service(r, s) for s in r["services"])] for r in summary.endpoints]
    files = {
        "summary.csv": _csv([*LEADING_COLUMNS, *INVENTORY_SUMMARY],
                            [[*interval.leading(), *(counts[c] for c in INVENTORY_SUMMARY)]]),
        "endpoints.csv": _csv(["endpoint", "ingressProtected", "egressProtected", "envoyEnabled", "appliedPolicies",
                               "services"], endpoints),
        "namespaces.csv": _csv(["namespace", "ingressProtected", "egressProtected", "envoyEnabled"],
                               [[g.id, _bool(g.ingress_protected), _bool(g.egress_protected),
                                 _bool(g.envoy_enabled)] for g in summary.namespaces]),
        "services.csv": _csv(["service", "ingressProtected", "envoyEnabled"],
                             [[g.id, _bool(g.ingress_protected), _bool(g.envoy_enabled)] for g in summary.services]),
    }
    return ui_summary(INVENTORY, counts, data), files


def network_access(interval: Interval, data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, bytes]]:
    summary, names = summarise(data)
    counts = summary.counts()
    endpoints = [[names.endpoint(r), *(_bool(r[f]) for f in NETWORK_ACCESS_ENDPOINT_FLAGS),
                  ";".join(r["appliedPolicies"]), "", "", ""] for r in summary.endpoints]
    files = {
        "summary.csv": _csv([*LEADING_COLUMNS, *NETWORK_ACCESS_SUMMARY],
                            [[*interval.leading(), *(counts[c] for c in NETWORK_ACCESS_SUMMARY)]]),
        "endpoints.csv": _csv(["endpoint", *NETWORK_ACCESS_ENDPOINT_FLAGS, "appliedPolicies", *FLOW_COLUMNS],
                              endpoints),
    }
    return ui_summary("network-access", counts, data), files

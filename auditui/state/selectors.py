"""Reads of the cluster state for the endpoints API and page: which pods existed at an instant
and match, what selects them, scoped to what the viewer may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings

from auditui.access.scope import RESERVED_CLUSTER, ViewerScope
from auditui.events.store import get_store
from auditui.state.cluster import ClusterState, Completeness
from auditui.state.exposure import EndpointPolicies, Evaluator
from auditui.state.rebuild import rebuild
from auditui.state.selector import Selector


@dataclass(frozen=True)
class EndpointRow:
    cluster: str
    result: EndpointPolicies

    def as_json(self) -> dict[str, Any]:
        """The API's shape (DESIGN.md's contract)."""
        endpoint = self.result.endpoint
        return {
            "cluster": self.cluster, "namespace": endpoint.namespace, "name": endpoint.name,
            "labels": endpoint.labels, "serviceAccount": endpoint.service_account,
            "ingressProtected": self.result.flags.ingress_protected,
            "egressProtected": self.result.flags.egress_protected,
            "appliedPolicies": [p.id for p in self.result.applied],
        }


@dataclass(frozen=True)
class EndpointPage:
    count: int
    rows: list[EndpointRow]
    next_offset: int | None
    completeness: Completeness


def include_staged() -> bool:
    return bool(getattr(settings, "AUDITUI_INCLUDE_STAGED_POLICIES", False))


def visible_clusters(scope: ViewerScope) -> list[str]:
    """Clusters with events the viewer may see something of; not auditui's own trail, which
    holds no cluster's objects."""
    return sorted(name for name in get_store().cluster_totals(scope) if name != RESERVED_CLUSTER)


def state_at(cluster: str, at: datetime) -> ClusterState:
    return rebuild(cluster, at)


def endpoint_list(
    *, scope: ViewerScope, cluster: str, at: datetime, selector: Selector, namespace: str = "",
    service_account: str = "", offset: int = 0, limit: int = 50,
) -> EndpointPage:
    """The pods of ``cluster`` at ``at`` that the viewer may see and that match, by namespace
    and name, a page of them from ``offset``."""
    state = state_at(cluster, at)
    evaluator = Evaluator(state, include_staged=include_staged())
    matching = [
        e for e in evaluator.endpoints
        if scope.allows(cluster, e.namespace)
        and (not namespace or e.namespace == namespace)
        and (not service_account or e.service_account == service_account)
        and selector.matches(e.calico_labels)
    ]
    page = matching[offset:offset + limit]
    rows = [EndpointRow(cluster, evaluator.evaluate(e)) for e in page]
    next_offset = offset + limit if offset + limit < len(matching) else None
    return EndpointPage(len(matching), rows, next_offset, state.completeness())

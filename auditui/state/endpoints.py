"""Pods as Calico sees them: workload endpoints with Calico's automatic labels, their service
account, node, addresses, and whether an Envoy (Istio) sidecar runs beside them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from auditui.state.cluster import ClusterState, Entry
from auditui.state.labels import endpoint_labels, named_labels

# Calico's compliance cross-reference marks an endpoint "Envoy enabled" when Istio injected its
# sidecar: the injector's status annotation, or a proxy container from Istio's images.
ISTIO_STATUS_ANNOTATION = "sidecar.istio.io/status"
_ENVOY_IMAGE = re.compile(r"(^|/)istio/proxy(v2)?([:@]|$)|(^|/)envoy", re.IGNORECASE)


@dataclass(frozen=True)
class Endpoint:
    namespace: str
    name: str
    labels: dict[str, str]  # the pod's own labels
    service_account: str
    node: str
    ips: tuple[str, ...]
    envoy: bool
    known: bool  # whether the pod's content was recorded (Metadata-level events only say it exists)

    @property
    def calico_labels(self) -> dict[str, str]:
        return endpoint_labels(self.labels, self.namespace, self.service_account)


def endpoint_of(entry: Entry) -> Endpoint:
    spec, status = entry.spec, entry.object.get("status") or {}
    meta = entry.metadata
    return Endpoint(
        namespace=str(meta.get("namespace") or ""),
        name=str(meta.get("name") or ""),
        labels=entry.labels,
        service_account=str(spec.get("serviceAccountName") or spec.get("serviceAccount") or
                            ("default" if entry.known else "")),
        node=str(spec.get("nodeName") or ""),
        ips=_ips(status),
        envoy=envoy_enabled(entry.object),
        known=entry.known,
    )


def endpoints_of(state: ClusterState) -> list[Endpoint]:
    """Every pod in the state, by namespace and name."""
    return [endpoint_of(e) for _key, e in sorted(state.entries("pods").items())]


def _ips(status: dict[str, Any]) -> tuple[str, ...]:
    listed = [str(p.get("ip")) for p in status.get("podIPs") or [] if isinstance(p, dict) and p.get("ip")]
    if not listed and status.get("podIP"):
        listed = [str(status["podIP"])]
    return tuple(listed)


def envoy_enabled(pod: dict[str, Any]) -> bool:
    annotations = (pod.get("metadata") or {}).get("annotations") or {}
    if ISTIO_STATUS_ANNOTATION in annotations:
        return True
    spec = pod.get("spec") or {}
    containers = [*(spec.get("containers") or []), *(spec.get("initContainers") or [])]
    return any(
        isinstance(c, dict) and (c.get("name") == "istio-proxy" or bool(_ENVOY_IMAGE.search(str(c.get("image") or ""))))
        for c in containers
    )


def namespace_labels(state: ClusterState, namespace: str) -> dict[str, str]:
    entry = state.get("namespaces", "", namespace)
    return named_labels(entry.labels if entry else {}, namespace)


def service_account_labels(state: ClusterState, namespace: str, name: str) -> dict[str, str]:
    entry = state.get("serviceaccounts", namespace, name)
    return named_labels(entry.labels if entry else {}, name)

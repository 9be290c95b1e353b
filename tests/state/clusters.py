"""Hand-built cluster states for the pure tests: ``cluster(pod(...), namespace(...), ...)``."""

from __future__ import annotations

from typing import Any

from auditui.state.cluster import ClusterState, Entry


def obj(kind: str, name: str, namespace: str = "", labels: dict | None = None, **rest: Any) -> tuple[str, dict]:
    meta: dict[str, Any] = {"name": name, "labels": labels or {}}
    if namespace:
        meta["namespace"] = namespace
    return kind, {"metadata": meta, **rest}


def namespace(name: str, **labels: str) -> tuple[str, dict]:
    return obj("namespaces", name, labels=labels)


def pod(name: str, ns: str = "payments", sa: str = "default", labels: dict | None = None, **spec: Any):
    return obj("pods", name, ns, labels, spec={"serviceAccountName": sa, **spec})


def k8s_policy(name: str, ns: str = "payments", **spec: Any):
    return obj("k8s_networkpolicies", name, ns, spec=spec)


def calico_policy(name: str, ns: str = "payments", **spec: Any):
    return obj("networkpolicies", name, ns, spec=spec)


def global_policy(name: str, **spec: Any):
    return obj("globalnetworkpolicies", name, spec=spec)


def cluster(*objects: tuple[str, dict]) -> ClusterState:
    state = ClusterState("c1")
    for kind, body in objects:
        state.put(kind, Entry(body))
    return state

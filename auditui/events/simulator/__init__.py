"""A deterministic simulator of Kubernetes audit activity, for demos, tests and benchmarks.

``generate()`` yields ``(cluster, event)`` pairs of valid ``audit.k8s.io/v1`` events: controllers,
kubelets, apps, people with kubectl, CI, strangers from the internet, and network policies
(Kubernetes and Calico) with full, consistent lifecycles.
"""

from __future__ import annotations

from auditui.events.simulator.generator import generate, simulate_cluster
from auditui.events.simulator.policies import is_policy_change

DEFAULT_CLUSTERS = ("prod-eu", "prod-us", "staging")


def default_cluster_names(count: int) -> list[str]:
    """``prod-eu``, ``prod-us``, ``staging``, then ``cluster-4``, ``cluster-5``, ..."""
    names = list(DEFAULT_CLUSTERS[:count])
    names += [f"cluster-{n}" for n in range(len(names) + 1, count + 1)]
    return names


__all__ = ["DEFAULT_CLUSTERS", "default_cluster_names", "generate", "is_policy_change", "simulate_cluster"]

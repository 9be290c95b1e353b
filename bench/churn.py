"""A cluster's pods and their churn as audit events, for the inventory and network-access benchmark
(issue 17): namespaces, a service per app, Kubernetes NetworkPolicies and a GlobalNetworkPolicy,
``pods`` pods created on the first day, then every day a share of them replaced (delete, create
under a new name), a few policy changes, and reads that the state ignores but the store holds.

Reproducible (a seed); every write is recorded at the RequestResponse level with its response
object and a growing resourceVersion, as an API server writes them."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

APPS = ("web", "api", "worker", "cache", "db")
GROUPS = {"networkpolicies": "networking.k8s.io", "globalnetworkpolicies": "projectcalico.org"}
KINDS = {"namespaces": "Namespace", "pods": "Pod", "services": "Service", "networkpolicies": "NetworkPolicy",
         "globalnetworkpolicies": "GlobalNetworkPolicy"}


@dataclass(frozen=True)
class Churn:
    pods: int = 1000
    namespaces: int = 20
    days: int = 30
    replaced_per_day: float = 0.2  # share of the pods deleted and created anew each day
    policy_changes_per_day: int = 2
    reads_per_day: int = 2000
    seed: int = 17


def _rfc3339(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


class _Writer:
    def __init__(self, rng: random.Random) -> None:
        self.rng, self.version = rng, 1000

    def event(self, verb: str, resource: str, namespace: str, name: str, at: datetime,
              obj: dict[str, Any] | None = None) -> dict[str, Any]:
        group = GROUPS.get(resource, "")
        ref: dict[str, Any] = {"resource": resource, "name": name, "apiVersion": "v1"}
        if group:
            ref["apiGroup"] = group
        if namespace:
            ref["namespace"] = namespace
        prefix = f"/apis/{group}/v1" if group else "/api/v1"
        event: dict[str, Any] = {
            "kind": "Event", "apiVersion": "audit.k8s.io/v1", "auditID": str(uuid.UUID(int=self.rng.getrandbits(128))),
            "stage": "ResponseComplete", "verb": verb,
            "level": "RequestResponse" if verb not in ("get", "list") else "Metadata",
            "requestURI": f"{prefix}{f'/namespaces/{namespace}' if namespace else ''}/{resource}/{name}",
            "user": {"username": "system:serviceaccount:kube-system:replicaset-controller"},
            "sourceIPs": ["10.0.0.2"], "objectRef": ref, "responseStatus": {"metadata": {}, "code": 200},
            "requestReceivedTimestamp": _rfc3339(at), "stageTimestamp": _rfc3339(at + timedelta(milliseconds=8)),
        }
        if obj is not None:
            self.version += 1
            meta = {**obj.get("metadata", {}), "name": name, "resourceVersion": str(self.version)}
            if namespace:
                meta["namespace"] = namespace
            stored = {"apiVersion": f"{group}/v1" if group else "v1", "kind": KINDS[resource], **obj,
                      "metadata": meta}
            event["requestObject"] = event["responseObject"] = stored
        return event


def _pod(app: str, account: str) -> dict[str, Any]:
    return {"metadata": {"labels": {"app": app}},
            "spec": {"serviceAccountName": account, "nodeName": "node-1", "containers": [{"name": app,
                                                                                           "image": f"{app}:1"}]}}


def _policy(app: str, *, open_to_all: bool) -> dict[str, Any]:
    peer = [{"namespaceSelector": {}}] if open_to_all else [{"podSelector": {}}]
    return {"spec": {"podSelector": {"matchLabels": {"app": app}}, "ingress": [{"from": peer}]}}


def _setup(writer: _Writer, churn: Churn, start: datetime) -> Iterator[dict[str, Any]]:
    at = start
    for n in range(churn.namespaces):
        namespace = f"team-{n:02d}"
        yield writer.event("create", "namespaces", "", namespace, at, {"metadata": {"labels": {"team": f"{n % 4}"}}})
        for app in APPS:
            yield writer.event("create", "services", namespace, app, at, {"spec": {"selector": {"app": app}}})
        for app in APPS[:3]:  # three apps of five have an ingress policy
            yield writer.event("create", "networkpolicies", namespace, f"{app}-in", at, _policy(app, open_to_all=False))
        at += timedelta(seconds=1)
    yield writer.event("create", "globalnetworkpolicies", "", "default.egress-dns", at,
                       {"spec": {"selector": "app != 'db'", "types": ["Egress"],
                                 "egress": [{"action": "Allow", "destination": {"nets": ["10.96.0.10/32"]}}]}})


def churn_events(churn: Churn, start: datetime) -> Iterator[dict[str, Any]]:
    """The events, oldest first."""
    rng = random.Random(churn.seed)
    writer = _Writer(rng)
    yield from _setup(writer, churn, start)
    pods: list[tuple[str, str]] = []
    serial = 0

    def new_pod(at: datetime) -> dict[str, Any]:
        nonlocal serial
        serial += 1
        namespace, app = f"team-{rng.randrange(churn.namespaces):02d}", rng.choice(APPS)
        name = f"{app}-{serial:06d}"
        pods.append((namespace, name))
        return writer.event("create", "pods", namespace, name, at, _pod(app, app))

    first = start + timedelta(minutes=5)
    for i in range(churn.pods):
        yield new_pod(first + timedelta(seconds=i))
    for day in range(churn.days):
        yield from sorted(_day(churn, rng, writer, pods, new_pod, start + timedelta(days=day)),
                          key=lambda e: e["requestReceivedTimestamp"])


def _day(churn: Churn, rng: random.Random, writer: _Writer, pods: list[tuple[str, str]], new_pod,
         day: datetime) -> list[dict[str, Any]]:
    events = []
    for _ in range(int(churn.pods * churn.replaced_per_day)):
        at = day + timedelta(seconds=rng.randrange(3600, 86400))
        namespace, name = pods.pop(rng.randrange(len(pods)))
        events.append(writer.event("delete", "pods", namespace, name, at))
        events.append(new_pod(at + timedelta(seconds=2)))
    for _ in range(churn.policy_changes_per_day):
        at = day + timedelta(seconds=rng.randrange(3600, 86400))
        namespace, app = f"team-{rng.randrange(churn.namespaces):02d}", rng.choice(APPS[:3])
        events.append(writer.event("update", "networkpolicies", namespace, f"{app}-in", at,
                                   _policy(app, open_to_all=rng.random() < 0.5)))
    for _ in range(churn.reads_per_day):
        at = day + timedelta(seconds=rng.randrange(86400))
        namespace, name = rng.choice(pods)
        events.append(writer.event("get", "pods", namespace, name, at))
    return events

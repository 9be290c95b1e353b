"""A cluster's life as audit events, written like an API server would (RequestResponse level,
a new resourceVersion per write), for the replay, rebuild, snapshot and API tests."""

from __future__ import annotations

import copy
import itertools
from datetime import datetime, timedelta
from typing import Any

from auditui.events.normalize import AuditRecord, normalize_event
from auditui.policies.patch import apply_patch
from tests.factories import BASE_TIME, audit_event

KINDS = {  # resource -> (api group, kind)
    "namespaces": ("", "Namespace"), "pods": ("", "Pod"), "serviceaccounts": ("", "ServiceAccount"),
    "services": ("", "Service"), "networkpolicies": ("networking.k8s.io", "NetworkPolicy"),
    "globalnetworkpolicies": ("projectcalico.org", "GlobalNetworkPolicy"),
    "calico-networkpolicies": ("projectcalico.org", "NetworkPolicy"),
}


class ClusterStory:
    def __init__(self, cluster: str = "c1", start: datetime = BASE_TIME) -> None:
        self.cluster, self.clock = cluster, start
        self.revisions = itertools.count(1000)
        self.objects: dict[tuple[str, str, str], dict] = {}
        self.events: list[dict] = []

    def _event(self, verb: str, resource: str, namespace: str, name: str | None, minutes: float,
               **extra: Any) -> dict:
        self.clock += timedelta(minutes=minutes)
        group = KINDS[resource][0]
        event = audit_event(verb=verb, resource=resource.removeprefix("calico-"), api_group=group,
                            namespace=namespace or None, name=name, time=self.clock, level="RequestResponse",
                            **extra)
        self.events.append(event)
        return event

    def _stored(self, resource: str, obj: dict) -> dict:
        group, kind = KINDS[resource]
        obj = copy.deepcopy(obj)
        obj["apiVersion"] = f"{group}/v1" if group else "v1"
        obj["kind"] = kind
        obj["metadata"]["resourceVersion"] = str(next(self.revisions))
        return obj

    def create(self, resource: str, name: str, namespace: str = "", *, labels: dict | None = None,
               minutes: float = 1, **body: Any) -> dict:
        meta: dict[str, Any] = {"name": name, "labels": labels or {}}
        if namespace:
            meta["namespace"] = namespace
        obj = self._stored(resource, {"metadata": meta, **body})
        self.objects[(resource, namespace, name)] = obj
        return self._event("create", resource, namespace, name, minutes, requestObject=obj, responseObject=obj)

    def patch(self, resource: str, name: str, namespace: str = "", *, body: dict, minutes: float = 1,
              response: bool = True) -> dict:
        """A merge patch; without ``response`` only the request is recorded (Request level)."""
        obj = self._stored(resource, apply_patch(self.objects[(resource, namespace, name)], body))
        self.objects[(resource, namespace, name)] = obj
        extra: dict[str, Any] = {"requestObject": body}
        if response:
            extra["responseObject"] = obj
        return self._event("patch", resource, namespace, name, minutes, **extra)

    def delete(self, resource: str, name: str, namespace: str = "", *, minutes: float = 1) -> dict:
        self.objects.pop((resource, namespace, name), None)
        return self._event("delete", resource, namespace, name, minutes)

    def delete_collection(self, resource: str, namespace: str, *, selector: str = "", minutes: float = 1) -> dict:
        event = self._event("deletecollection", resource, namespace, None, minutes)
        if selector:
            event["requestURI"] += f"?labelSelector={selector}"
        return event

    def at(self, minutes: float = 0) -> datetime:
        return self.clock + timedelta(minutes=minutes)

    def records(self) -> list[AuditRecord]:
        return [normalize_event(e, cluster=self.cluster) for e in self.events]

"""Realistic audit events for one policy's life, written step by step like an API server would:
each successful write returns the stored object with a new resourceVersion (RequestResponse
level), or, at lower levels, only what that level keeps."""

from __future__ import annotations

import copy
import itertools
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import jsonpatch

from auditui.events.simulator.objects import merge_apply
from tests.factories import BASE_TIME, audit_event

_revisions = itertools.count(41_000_000, 37)


class PolicyStory:
    """``story.create(spec)``, ``story.merge_patch(body)``, …: each returns the audit event."""

    def __init__(self, *, name: str = "allow-web", namespace: str | None = "payments",
                 resource: str = "networkpolicies", group: str = "networking.k8s.io", version: str = "v1",
                 kind: str = "NetworkPolicy", level: str = "RequestResponse", start: datetime = BASE_TIME,
                 user: str = "alice@example.com") -> None:
        self.name, self.namespace, self.resource, self.group = name, namespace, resource, group
        self.version, self.kind, self.level, self.user = version, kind, level, user
        self.clock = start
        self.current: dict | None = None
        self.events: list[dict] = []

    # --- the API server's side ------------------------------------------------------------

    def _tick(self, minutes: float) -> datetime:
        self.clock += timedelta(minutes=minutes)
        return self.clock

    def _store(self, obj: dict, *, new_uid: bool = False) -> dict:
        obj = copy.deepcopy(obj)
        meta = obj.setdefault("metadata", {})
        meta["name"] = self.name
        if self.namespace:
            meta["namespace"] = self.namespace
        if new_uid:
            meta["uid"] = str(uuid.uuid4())
            meta["creationTimestamp"] = self.clock.strftime("%Y-%m-%dT%H:%M:%SZ")
            meta["generation"] = 1
        else:
            meta["uid"] = self.current["metadata"]["uid"]
            meta["creationTimestamp"] = self.current["metadata"]["creationTimestamp"]
            old_spec = self.current.get("spec")
            meta["generation"] = self.current["metadata"]["generation"] + (obj.get("spec") != old_spec)
        meta["resourceVersion"] = str(next(_revisions))
        meta["managedFields"] = [{"manager": "kubectl", "operation": "Update", "time": meta["creationTimestamp"]}]
        obj["apiVersion"] = f"{self.group}/{self.version}" if self.group else self.version
        obj["kind"] = self.kind
        return obj

    def _event(self, verb: str, code: int, *, request: Any = None, response: Any = None, minutes: float = 10,
               user: str | None = None, **extra: Any) -> dict:
        at = self._tick(minutes)
        event = audit_event(verb=verb, resource=self.resource, api_group=self.group, namespace=self.namespace,
                            name=self.name, username=user or self.user, code=code, time=at, level=self.level,
                            **extra)
        event["objectRef"]["apiVersion"] = self.version
        if self.level in ("Request", "RequestResponse") and request is not None:
            event["requestObject"] = request
        if self.level == "RequestResponse" and response is not None:
            event["responseObject"] = response
        self.events.append(event)
        return event

    # --- what clients do --------------------------------------------------------------------

    def create(self, spec: dict, *, labels: dict | None = None, **kw: Any) -> dict:
        manifest = {"apiVersion": f"{self.group}/{self.version}", "kind": self.kind,
                    "metadata": {"name": self.name, **({"labels": labels} if labels else {})}, "spec": spec}
        if self.namespace:
            manifest["metadata"]["namespace"] = self.namespace
        self.current = self._store(manifest, new_uid=True)
        return self._event("create", 201, request=manifest, response=self.current, **kw)

    def merge_patch(self, body: dict, **kw: Any) -> dict:
        self.current = self._store(merge_apply(self.current, body))
        return self._event("patch", 200, request=body, response=self.current, **kw)

    def json_patch(self, ops: list, **kw: Any) -> dict:
        self.current = self._store(jsonpatch.apply_patch(self.current, ops))
        return self._event("patch", 200, request=ops, response=self.current, **kw)

    def strategic_patch(self, body: dict, result_spec: dict, **kw: Any) -> dict:
        """A strategic merge patch, with what the server made of it (the caller knows the schema)."""
        new = copy.deepcopy(self.current)
        new["spec"] = result_spec
        self.current = self._store(new)
        return self._event("patch", 200, request=body, response=self.current, **kw)

    def update(self, spec: dict, **kw: Any) -> dict:
        body = copy.deepcopy(self.current)
        body["metadata"].pop("managedFields")
        body["spec"] = spec
        self.current = self._store(body)
        return self._event("update", 200, request=body, response=self.current, **kw)

    def refused(self, verb: str = "update", code: int = 403, **kw: Any) -> dict:
        status = {"metadata": {}, "status": "Failure", "reason": "Forbidden" if code == 403 else "Conflict",
                  "message": f"{self.resource} \"{self.name}\" is forbidden", "code": code}
        return self._event(verb, code, request={"spec": {"podSelector": {}}}, responseStatus=status, **kw)

    def delete(self, **kw: Any) -> dict:
        uid = self.current["metadata"]["uid"]
        self.current = None
        status = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                  "details": {"name": self.name, "kind": self.resource, "uid": uid}}
        return self._event("delete", 200, request={"kind": "DeleteOptions", "apiVersion": "v1"},
                           response=status, **kw)


WEB_SPEC = {
    "podSelector": {"matchLabels": {"app": "web"}},
    "policyTypes": ["Ingress"],
    "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "bff"}}}],
                 "ports": [{"protocol": "TCP", "port": 8080}]}],
}


def full_lifecycle(story: PolicyStory | None = None) -> PolicyStory:
    """create → merge patch → JSON patch → update → refused update → delete → recreate."""
    story = story or PolicyStory()
    story.create(copy.deepcopy(WEB_SPEC), labels={"team": "web"})
    story.merge_patch({"metadata": {"labels": {"owner": "sre"}}}, user="bob@example.com")
    story.json_patch([{"op": "add", "path": "/spec/ingress/0/ports/-", "value": {"protocol": "TCP", "port": 8443}}])
    spec = copy.deepcopy(story.current["spec"])
    spec["policyTypes"] = ["Ingress", "Egress"]
    spec["egress"] = [{"to": [{"ipBlock": {"cidr": "10.0.0.0/8"}}], "ports": [{"protocol": "TCP", "port": 5432}]}]
    story.update(spec, user="carol@example.com")
    story.refused("update", 403, user="mallory@example.com")
    story.delete(user="carol@example.com")
    story.create({"podSelector": {}, "policyTypes": ["Ingress"]}, user="dave@example.com")
    return story


def delete_collection(stories: Sequence[PolicyStory], *, namespace: str | None, level: str = "RequestResponse",
                      selector: str | None = None, user: str = "eve@example.com", minutes: float = 10) -> dict:
    """``kubectl delete <resource> --all [-n namespace] [-l selector]``: one deletecollection event
    (no object name) that removes ``stories`` (the objects it matched); RequestResponse level
    lists them in the response."""
    first = stories[0]
    at = max(story.clock for story in stories) + timedelta(minutes=minutes)
    event = audit_event(verb="deletecollection", resource=first.resource, api_group=first.group, namespace=namespace,
                        name=None, username=user, code=200, time=at, level=level)
    event["objectRef"]["apiVersion"] = first.version
    if selector:
        event["requestURI"] += "?" + urlencode({"labelSelector": selector})
    if level == "RequestResponse":
        event["responseObject"] = {
            "kind": f"{first.kind}List", "apiVersion": f"{first.group}/{first.version}",
            "metadata": {"resourceVersion": str(next(_revisions))},
            "items": [copy.deepcopy(story.current) for story in stories],
        }
    for story in stories:
        story.current, story.clock = None, at
    return event

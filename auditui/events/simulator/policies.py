"""Network policies with full lifecycles: created, edited by several people in several ways,
sometimes refused, deleted, recreated.

Each object's state is the ``responseObject`` of its last successful write, so every event's
``responseObject`` is exactly the previous one with the change applied (plus the server's own
bookkeeping: resourceVersion, generation, managedFields), as a changelog expects.
"""

from __future__ import annotations

from dataclasses import dataclass
from random import Random

import jsonpatch
import orjson

from auditui.events.simulator.actors import Actor
from auditui.events.simulator.catalog import KINDS, Kind, Seed, labels_for, seeds
from auditui.events.simulator.context import REQUEST_RESPONSE, WRITE_VERBS, Sim
from auditui.events.simulator.objects import (
    DELETE_OPTIONS,
    clone,
    conflict,
    deleted,
    forbidden,
    merge_diff,
    object_path,
    object_ref,
    status_object,
)
from auditui.events.simulator.world import World

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
PRESENT_AT_START = 0.75
# How an existing object gets changed next (k8s NetworkPolicy also takes strategic merge patches).
K8S_ACTIONS = (
    ("update", 0.15),
    ("merge", 0.2),
    ("json", 0.16),
    ("strategic", 0.25),
    ("fail", 0.1),
    ("delete", 0.14),
)
CALICO_ACTIONS = (("update", 0.28), ("merge", 0.27), ("json", 0.21), ("fail", 0.1), ("delete", 0.14))
WRITE_VERB = {"update": "update", "merge": "patch", "json": "patch", "strategic": "patch"}


@dataclass
class ManagedObject:
    seed: Seed
    current: dict | None = None  # the stored object; None while it does not exist

    @property
    def kind(self) -> Kind:
        return self.seed.kind

    def path(self, with_name: bool = True) -> str:
        k = self.kind
        return object_path(
            k.group, k.version, k.resource, self.seed.namespace, self.seed.name if with_name else ""
        )

    def ref(self, **extra: str) -> dict:
        k = self.kind
        return object_ref(
            k.resource, self.seed.namespace, self.seed.name, group=k.group, version=k.version, **extra
        )


def _user_view(obj: dict) -> dict:
    """What a person edits: labels, annotations and spec, without the server's bookkeeping."""
    meta = {key: obj["metadata"][key] for key in ("labels", "annotations") if key in obj["metadata"]}
    view = {"metadata": meta} if meta else {}
    view["spec"] = obj["spec"]
    return view


def _manifest(seed: Seed, spec: dict, labels: dict | None) -> dict:
    """The object as written in a file (what a client sends, what last-applied records)."""
    meta: dict = {"name": seed.name}
    if seed.namespace:
        meta["namespace"] = seed.namespace
    if labels:
        meta["labels"] = labels
    return {"kind": seed.kind.kind, "apiVersion": seed.kind.api_version, "metadata": meta, "spec": spec}


def _last_applied(obj: dict) -> str:
    manifest = {
        "apiVersion": obj["apiVersion"],
        "kind": obj["kind"],
        "metadata": {
            "annotations": {},
            **{k: obj["metadata"][k] for k in ("labels", "name", "namespace") if k in obj["metadata"]},
        },
        "spec": obj["spec"],
    }
    return orjson.dumps(manifest, option=orjson.OPT_SORT_KEYS).decode() + "\n"


def _fields_v1(obj: dict) -> dict:
    """A plausible managedFields ``fieldsV1`` for the object's current fields."""
    fields: dict = {}
    meta = obj["metadata"]
    owned = {
        f"f:{key}": {".": {}, **{f"f:{k}": {} for k in meta[key]}}
        for key in ("labels", "annotations")
        if meta.get(key)
    }
    if owned:
        fields["f:metadata"] = owned
    fields["f:spec"] = {f"f:{key}": {} for key in obj["spec"]}
    return fields


def record_manager(obj: dict, manager: str, api_version: str, time: str) -> None:
    entry = {
        "manager": manager,
        "operation": "Update",
        "apiVersion": api_version,
        "time": time,
        "fieldsType": "FieldsV1",
        "fieldsV1": _fields_v1(obj),
    }
    managed = obj["metadata"].setdefault("managedFields", [])
    for index, existing in enumerate(managed):
        if existing["manager"] == manager:
            managed[index] = entry
            return
    managed.append(entry)


class Policies:
    """The policy-change activity and the state of every policy object in one cluster."""

    def __init__(self, world: World, sim: Sim) -> None:
        self.people = world.people
        self.by_kind: dict[Kind, list[ManagedObject]] = {}
        for seed in seeds():
            obj = ManagedObject(seed)
            if sim.rng.random() < PRESENT_AT_START:
                obj.current = self._existing(sim, seed)
            self.by_kind.setdefault(seed.kind, []).append(obj)
        self.kinds = list(KINDS)
        self.weights = [k.weight for k in KINDS]
        world.policies = [obj for objs in self.by_kind.values() for obj in objs]

    def _existing(self, sim: Sim, seed: Seed) -> dict:
        """An object created before the simulated window, last touched by its owners' pipeline."""
        created = -86400 * (1 + sim.rng.random() * 200)
        obj = self._created(sim, seed, created, "kubectl-client-side-apply", apply=True)
        obj["metadata"]["generation"] = 1 + int(sim.rng.random() * 8)
        return obj

    def _created(self, sim: Sim, seed: Seed, t: float, manager: str, *, apply: bool) -> dict:
        obj = _manifest(seed, clone(seed.spec), labels_for(seed))
        meta = obj["metadata"]
        fresh = {"name": meta["name"]}
        if seed.namespace:
            fresh["namespace"] = seed.namespace
        fresh.update(
            uid=sim.uid(), resourceVersion=sim.revision(), generation=1, creationTimestamp=sim.ts.seconds(t)
        )
        for key in ("labels", "annotations"):
            if key in meta:
                fresh[key] = meta[key]
        obj["metadata"] = fresh
        if apply:
            fresh["annotations"] = {LAST_APPLIED: _last_applied(obj)}
        record_manager(obj, manager, seed.kind.api_version, sim.ts.seconds(t))
        return obj

    # --- the activity ------------------------------------------------------------------

    def change(self, sim: Sim) -> None:
        rng = sim.rng
        kind = rng.choices(self.kinds, self.weights)[0]
        obj = rng.choice(self.by_kind[kind])
        if obj.current is None:
            self._create(sim, obj)
            return
        actions = K8S_ACTIONS if obj.kind.is_k8s else CALICO_ACTIONS
        action = rng.choices([a for a, _ in actions], [w for _, w in actions])[0]
        if action == "delete":
            self._delete(sim, obj)
        elif action == "fail":
            self._refused(sim, obj)
        else:
            self._modify(sim, obj, action)

    def _editor(self, rng: Random, obj: ManagedObject) -> Actor:
        return self.people[rng.choice(obj.seed.editors)]

    def _outsider(self, rng: Random, obj: ManagedObject) -> Actor | None:
        others = [key for key in self.people if key not in obj.seed.editors]
        return self.people[rng.choice(others)] if others else None

    def _emit(
        self, sim: Sim, actor: Actor, verb: str, uri: str, ref: dict, code: int, **parts: object
    ) -> None:
        event = sim.event(
            sim.now, actor, verb, uri, ref, code, level=REQUEST_RESPONSE, latency=sim.latency(verb), **parts
        )
        sim.write(sim.now, event)

    def _create(self, sim: Sim, obj: ManagedObject) -> None:
        rng, seed = sim.rng, obj.seed
        actor = self._editor(rng, obj)
        if rng.random() < 0.1 and (outsider := self._outsider(rng, obj)):
            status = forbidden(
                outsider.username, "create", seed.kind.resource, seed.kind.group, seed.namespace
            )
            self._emit(sim, outsider, "create", obj.path(False), obj.ref(), 403, status=status)
            return
        apply = actor.key == "ci"
        manager = "kubectl-client-side-apply" if apply else "kubectl-create"
        created = self._created(sim, seed, sim.now, manager, apply=apply)
        request = _manifest(seed, clone(created["spec"]), created["metadata"].get("labels"))
        request["metadata"]["creationTimestamp"] = None
        if apply:
            request["metadata"]["annotations"] = dict(created["metadata"]["annotations"])
        uri = f"{obj.path(False)}?fieldManager={manager}&fieldValidation=Strict"
        self._emit(sim, actor, "create", uri, obj.ref(), 201, request=request, response=clone(created))
        obj.current = created

    def _delete(self, sim: Sim, obj: ManagedObject) -> None:
        actor = self._editor(sim.rng, obj)
        k = obj.kind
        status, body = deleted(k.resource, k.group, obj.seed.name, obj.current["metadata"]["uid"])
        self._emit(
            sim,
            actor,
            "delete",
            obj.path(),
            obj.ref(),
            200,
            status=status,
            request=dict(DELETE_OPTIONS),
            response=body,
        )
        obj.current = None

    def _refused(self, sim: Sim, obj: ManagedObject) -> None:
        """A change that did not happen: someone without the rights, or a stale update."""
        rng, k, name = sim.rng, obj.kind, obj.seed.name
        outsider = self._outsider(rng, obj) if rng.random() < 0.5 else None
        if outsider is not None:
            verb = rng.choice(("patch", "update", "delete"))
            status = forbidden(outsider.username, verb, k.resource, k.group, obj.seed.namespace, name)
            self._emit(sim, outsider, verb, obj.path(), obj.ref(), 403, status=status)
            return
        actor = self._editor(rng, obj)
        stale = _put_body(self._mutated(sim, obj), obj.current)
        stale["metadata"]["resourceVersion"] = str(int(obj.current["metadata"]["resourceVersion"]) - 17)
        status = conflict(k.resource, k.group, name)
        uri = f"{obj.path()}?fieldManager=kubectl-replace&fieldValidation=Strict"
        ref = obj.ref(
            uid=obj.current["metadata"]["uid"], resource_version=stale["metadata"]["resourceVersion"]
        )
        self._emit(
            sim, actor, "update", uri, ref, 409, status=status, request=stale, response=status_object(status)
        )

    def _mutated(self, sim: Sim, obj: ManagedObject, ops: list | None = None) -> dict:
        if ops is None:
            ops = sim.rng.choice(obj.kind.mutations)(sim.rng, obj.current)
        new = clone(obj.current)
        jsonpatch.apply_patch(new, clone(ops), in_place=True)
        return new

    def _modify(self, sim: Sim, obj: ManagedObject, mode: str) -> None:
        rng, old = sim.rng, obj.current
        actor = self._editor(rng, obj)
        ops = rng.choice(obj.kind.mutations)(rng, old)
        new = self._mutated(sim, obj, ops)
        applying = actor.key == "ci" and mode in ("merge", "strategic")
        if applying:
            new["metadata"].setdefault("annotations", {})[LAST_APPLIED] = _last_applied(new)
        manager = _manager(rng, mode, applying)
        self._bump(sim, old, new, manager)
        body = self._body(rng, mode, old, new, ops)
        ref = obj.ref()
        if mode == "update":
            ref = obj.ref(uid=old["metadata"]["uid"], resource_version=old["metadata"]["resourceVersion"])
        uri = f"{obj.path()}?fieldManager={manager}&fieldValidation=Strict"
        self._emit(sim, actor, WRITE_VERB[mode], uri, ref, 200, request=body, response=clone(new))
        obj.current = new

    def _bump(self, sim: Sim, old: dict, new: dict, manager: str) -> None:
        meta = new["metadata"]
        meta["resourceVersion"] = sim.revision()
        if new["spec"] != old["spec"]:
            meta["generation"] = old["metadata"].get("generation", 1) + 1
        record_manager(new, manager, new["apiVersion"], sim.ts.seconds(sim.now))

    @staticmethod
    def _body(rng: Random, mode: str, old: dict, new: dict, ops: list) -> object:
        if mode == "update":
            return _put_body(new, old)
        if mode == "json":
            if rng.random() < 0.3:
                # Careful people guard their patch against concurrent edits.
                guard = {
                    "op": "test",
                    "path": "/metadata/resourceVersion",
                    "value": old["metadata"]["resourceVersion"],
                }
                return [guard] + clone(ops)
            return clone(ops)
        return merge_diff(_user_view(old), _user_view(new))


def _manager(rng: Random, mode: str, applying: bool) -> str:
    """The field manager kubectl names in the request (and managedFields records)."""
    if applying:
        return "kubectl-client-side-apply"
    if mode == "update":
        return "kubectl-replace"
    if mode == "json":
        return "kubectl-patch"
    return rng.choice(("kubectl-edit", "kubectl-patch"))


def _put_body(new: dict, old: dict) -> dict:
    """An update (PUT) sends the whole object, carrying the resourceVersion it was read at."""
    meta = {key: clone(value) for key, value in new["metadata"].items() if key != "managedFields"}
    meta["resourceVersion"] = old["metadata"]["resourceVersion"]
    meta["generation"] = old["metadata"].get("generation", 1)
    return {
        "kind": new["kind"],
        "apiVersion": new["apiVersion"],
        "metadata": meta,
        "spec": clone(new["spec"]),
    }


def is_policy_change(event: dict) -> bool:
    """A successful write to a network policy, tier or network set (one per request)."""
    ref = event.get("objectRef")
    if not ref or event.get("stage") != "ResponseComplete" or event.get("verb") not in WRITE_VERBS:
        return False
    if event.get("responseStatus", {}).get("code", 0) >= 400:
        return False
    group = ref.get("apiGroup")
    return group == "projectcalico.org" or (
        group == "networking.k8s.io" and ref.get("resource") == "networkpolicies"
    )

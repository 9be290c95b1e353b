"""RBAC objects people grant and revoke: RoleBindings, ClusterRoleBindings, ClusterRoles."""

from __future__ import annotations

from dataclasses import dataclass

from auditui.events.simulator.actors import Actor
from auditui.events.simulator.context import REQUEST_RESPONSE, Sim
from auditui.events.simulator.objects import DELETE_OPTIONS, clone, deleted, object_path, object_ref
from auditui.events.simulator.world import World

GROUP = "rbac.authorization.k8s.io"
KIND_RESOURCE = {
    "Role": "roles",
    "RoleBinding": "rolebindings",
    "ClusterRole": "clusterroles",
    "ClusterRoleBinding": "clusterrolebindings",
}
EXTRA_SUBJECTS = (
    {"kind": "User", "apiGroup": GROUP, "name": "erin@example.com"},
    {"kind": "User", "apiGroup": GROUP, "name": "frank@example.com"},
    {"kind": "Group", "apiGroup": GROUP, "name": "contractors"},
    {"kind": "ServiceAccount", "name": "deployer", "namespace": "ci"},
)


def _user(name: str) -> dict:
    return {"kind": "User", "apiGroup": GROUP, "name": name}


def _binding(kind: str, namespace: str, name: str, role_kind: str, role: str, subjects: list[dict]) -> dict:
    meta = {"name": name, "namespace": namespace} if namespace else {"name": name}
    return {
        "kind": kind,
        "apiVersion": f"{GROUP}/v1",
        "metadata": meta,
        "subjects": subjects,
        "roleRef": {"apiGroup": GROUP, "kind": role_kind, "name": role},
    }


TEMPLATES = (
    (
        "carol",
        _binding(
            "RoleBinding", "payments", "alice-edit", "ClusterRole", "edit", [_user("alice@example.com")]
        ),
    ),
    (
        "carol",
        _binding("RoleBinding", "frontend", "bob-edit", "ClusterRole", "edit", [_user("bob@example.com")]),
    ),
    (
        "ci",
        _binding(
            "RoleBinding",
            "checkout",
            "ci-deployer",
            "ClusterRole",
            "edit",
            [{"kind": "ServiceAccount", "name": "deployer", "namespace": "ci"}],
        ),
    ),
    (
        "dave",
        _binding(
            "ClusterRoleBinding",
            "",
            "security-auditors",
            "ClusterRole",
            "view",
            [{"kind": "Group", "apiGroup": GROUP, "name": "security"}],
        ),
    ),
    (
        "carol",
        _binding(
            "ClusterRoleBinding",
            "",
            "oncall-cluster-admin",
            "ClusterRole",
            "cluster-admin",
            [_user("carol@example.com")],
        ),
    ),
    (
        "dave",
        {
            "kind": "ClusterRole",
            "apiVersion": f"{GROUP}/v1",
            "metadata": {"name": "network-admin"},
            "rules": [
                {"apiGroups": ["projectcalico.org"], "resources": ["*"], "verbs": ["*"]},
                {
                    "apiGroups": ["networking.k8s.io"],
                    "resources": ["networkpolicies"],
                    "verbs": ["get", "list", "watch", "create", "update", "patch", "delete"],
                },
            ],
        },
    ),
)


@dataclass
class RbacObject:
    owner: str
    template: dict
    current: dict | None = None

    @property
    def resource(self) -> str:
        return KIND_RESOURCE[self.template["kind"]]

    @property
    def namespace(self) -> str:
        return self.template["metadata"].get("namespace", "")

    @property
    def name(self) -> str:
        return self.template["metadata"]["name"]


class Rbac:
    def __init__(self, world: World) -> None:
        self.people = world.people
        self.objects = [RbacObject(owner, template) for owner, template in TEMPLATES]

    def change(self, sim: Sim) -> None:
        """Grant (create), widen or narrow (update), or revoke (delete) some access."""
        obj = sim.rng.choice(self.objects)
        actor = self.people[obj.owner]
        path = object_path(GROUP, "v1", obj.resource, obj.namespace)
        ref = object_ref(obj.resource, obj.namespace, obj.name, group=GROUP)
        t = sim.now
        if obj.current is None:
            created = self._stored(sim, clone(obj.template), None)
            sim.write(
                t,
                sim.event(
                    t,
                    actor,
                    "create",
                    f"{path}?fieldManager=kubectl-create",
                    ref,
                    201,
                    level=REQUEST_RESPONSE,
                    latency=sim.latency("create"),
                    request=clone(obj.template),
                    response=clone(created),
                ),
            )
            obj.current = created
        elif sim.rng.random() < 0.3:
            status, body = deleted(obj.resource, GROUP, obj.name, obj.current["metadata"]["uid"])
            sim.write(
                t,
                sim.event(
                    t,
                    actor,
                    "delete",
                    f"{path}/{obj.name}",
                    ref,
                    status=status,
                    level=REQUEST_RESPONSE,
                    latency=sim.latency("delete"),
                    request=dict(DELETE_OPTIONS),
                    response=body,
                ),
            )
            obj.current = None
        else:
            self._update(sim, obj, actor, f"{path}/{obj.name}?fieldManager=kubectl-edit", ref)

    def _update(self, sim: Sim, obj: RbacObject, actor: Actor, uri: str, ref: dict) -> None:
        new = clone(obj.current)
        if "subjects" in new:
            subject = sim.rng.choice(EXTRA_SUBJECTS)
            if subject in new["subjects"]:
                new["subjects"].remove(subject)
            else:
                new["subjects"].append(clone(subject))
        else:
            rule = new["rules"][-1]
            rule["verbs"] = (
                ["get", "list", "watch"]
                if "create" in rule["verbs"]
                else list(obj.template["rules"][-1]["verbs"])
            )
        request = clone(new)
        request["metadata"].pop("managedFields", None)
        self._stored(sim, new, obj.current)
        sim.write(
            sim.now,
            sim.event(
                sim.now,
                actor,
                "update",
                uri,
                ref,
                level=REQUEST_RESPONSE,
                latency=sim.latency("update"),
                request=request,
                response=clone(new),
            ),
        )
        obj.current = new

    @staticmethod
    def _stored(sim: Sim, obj: dict, old: dict | None) -> dict:
        meta = obj["metadata"]
        meta["uid"] = old["metadata"]["uid"] if old else sim.uid()
        meta["resourceVersion"] = sim.revision()
        meta["creationTimestamp"] = old["metadata"]["creationTimestamp"] if old else sim.ts.seconds(sim.now)
        return obj

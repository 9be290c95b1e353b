"""What people (and their CI) do with kubectl: look around, read logs, exec into pods, roll out,
change config, bump into RBAC, impersonate service accounts, debug nodes."""

from __future__ import annotations

from auditui.events.simulator.actors import Actor, impersonated
from auditui.events.simulator.context import METADATA, REQUEST, REQUEST_RESPONSE, STARTED, Sim
from auditui.events.simulator.ids import suffix
from auditui.events.simulator.objects import clone, forbidden, not_found, object_path, object_ref
from auditui.events.simulator.policies import ManagedObject
from auditui.events.simulator.workloads import Workloads
from auditui.events.simulator.world import NAMESPACES, Deployment, World

# (group, version, resource) people list and get.
BROWSED = (
    ("", "v1", "pods"),
    ("", "v1", "pods"),
    ("", "v1", "pods"),
    ("apps", "v1", "deployments"),
    ("apps", "v1", "deployments"),
    ("", "v1", "services"),
    ("", "v1", "configmaps"),
    ("", "v1", "events"),
    ("apps", "v1", "replicasets"),
    ("networking.k8s.io", "v1", "ingresses"),
)
# Requests people make beyond their rights: (person, verb, resource, group, namespace, name);
# name "*" stands for one of the namespace's pods.
OVERREACH = (
    ("alice", "list", "secrets", "", "kube-system", ""),
    ("alice", "list", "clusterrolebindings", "rbac.authorization.k8s.io", "", ""),
    ("alice", "create", "pods/exec", "", "monitoring", "*"),
    ("bob", "get", "secrets", "", "payments", "payments-db"),
    ("bob", "delete", "pods", "", "payments", "*"),
    ("bob", "list", "globalnetworkpolicies", "projectcalico.org", "", ""),
    ("ci", "create", "clusterrolebindings", "rbac.authorization.k8s.io", "", ""),
    ("ci", "patch", "deployments", "apps", "kube-system", "coredns"),
)


class People:
    """Activities of people; ``self.workloads`` runs the rollouts they start."""

    def __init__(self, world: World, workloads: Workloads) -> None:
        self.world = world
        self.workloads = workloads
        self.readers = [a for key, a in world.people.items() if key != "ci"]
        self.deployers = list(world.people.values())

    def _deployment(self, sim: Sim, actor: Actor) -> Deployment:
        return sim.rng.choice(self.world.deployments_in(actor.namespaces))

    def browse(self, sim: Sim) -> None:
        """``kubectl get`` / ``describe``: a list, or one object (sometimes one that is gone: 404)."""
        rng, t = sim.rng, sim.now
        actor = rng.choice(self.readers)
        namespace = rng.choice(actor.namespaces or NAMESPACES)
        group, version, resource = rng.choice(BROWSED)
        base = object_path(group, version, resource, namespace)
        if rng.random() < 0.55:
            sim.emit(
                t,
                sim.event(
                    t,
                    actor,
                    "list",
                    f"{base}?limit=500",
                    object_ref(resource, namespace, group=group),
                    latency=sim.latency("list"),
                ),
            )
            return
        name = self._name_of(sim, resource, namespace)
        ref = object_ref(resource, namespace, name, group=group, version=version)
        if rng.random() < 0.06:
            status = not_found(resource, group, name)
            sim.emit(t, sim.event(t, actor, "get", f"{base}/{name}", ref, 404, status=status, latency=0.002))
            return
        sim.emit(t, sim.event(t, actor, "get", f"{base}/{name}", ref, latency=sim.latency("get")))
        if resource == "pods":  # describe also lists the pod's events
            query = f"?fieldSelector=involvedObject.name%3D{name}%2CinvolvedObject.namespace%3D{namespace}"
            t2 = t + 0.02
            sim.emit(
                t2,
                sim.event(
                    t2,
                    actor,
                    "list",
                    f"/api/v1/namespaces/{namespace}/events{query}",
                    object_ref("events", namespace),
                    latency=sim.latency("list"),
                ),
            )

    def _name_of(self, sim: Sim, resource: str, namespace: str) -> str:
        in_ns = [d for d in self.world.deployments if d.namespace == namespace]
        if not in_ns:
            return f"{namespace}-{suffix(sim.rng)}"
        d = sim.rng.choice(in_ns)
        if resource == "pods":
            return sim.rng.choice(d.pods) if d.pods else f"{d.name}-{suffix(sim.rng)}"
        if resource == "replicasets":
            return f"{d.name}-{d.rs_hash}"
        return d.name

    def logs(self, sim: Sim) -> None:
        actor = sim.rng.choice(self.readers)
        d = self._deployment(sim, actor)
        pod = sim.rng.choice(d.pods)
        uri = f"/api/v1/namespaces/{d.namespace}/pods/{pod}/log?container={d.name}&tailLines=200"
        ref = object_ref("pods", d.namespace, pod, subresource="log")
        sim.emit(sim.now, sim.event(sim.now, actor, "get", uri, ref, latency=0.05 + sim.rng.random() * 0.3))

    def exec(self, sim: Sim) -> None:
        """``kubectl exec -it``: the stream starts (101) and completes when the shell exits."""
        actor = sim.rng.choice(self.readers)
        d = self._deployment(sim, actor)
        pod = sim.rng.choice(d.pods)
        uri = (
            f"/api/v1/namespaces/{d.namespace}/pods/{pod}/exec?command=%2Fbin%2Fsh&container={d.name}"
            "&stdin=true&stdout=true&tty=true"
        )
        ref = object_ref("pods", d.namespace, pod, subresource="exec")
        event = sim.event(sim.now, actor, "create", uri, ref, 101, level=REQUEST, stage=STARTED, latency=0.03)
        sim.stream(sim.now, event, 20 + sim.rng.random() * 900)

    def rollout(self, sim: Sim) -> None:
        # Most rollouts come from the pipeline; people push hotfixes by hand.
        actor = self.world.people["ci"] if sim.rng.random() < 0.7 else sim.rng.choice(self.readers)
        self.workloads.rollout(sim, actor, self._deployment(sim, actor))

    def config(self, sim: Sim) -> None:
        """Apply a ConfigMap (Request level: the patch is logged) or rotate a Secret (Metadata only)."""
        rng = sim.rng
        actor = self.world.people["ci"] if rng.random() < 0.6 else rng.choice(self.readers)
        d = self._deployment(sim, actor)
        if rng.random() < 0.7:
            name = f"{d.name}-config"
            uri = f"/api/v1/namespaces/{d.namespace}/configmaps/{name}?fieldManager=kubectl-client-side-apply"
            body = {
                "data": {
                    "LOG_LEVEL": rng.choice(("info", "debug", "warn")),
                    "FEATURE_FLAGS": rng.choice(("new-checkout", "fast-refunds", "none")),
                }
            }
            event = sim.event(
                sim.now,
                actor,
                "patch",
                uri,
                object_ref("configmaps", d.namespace, name),
                level=REQUEST,
                latency=sim.latency("patch"),
                request=body,
            )
        else:
            name = f"{d.name}-credentials"
            uri = f"/api/v1/namespaces/{d.namespace}/secrets/{name}"
            event = sim.event(
                sim.now,
                actor,
                "update",
                uri,
                object_ref("secrets", d.namespace, name),
                level=METADATA,
                latency=sim.latency("update"),
            )
        sim.write(sim.now, event)

    def overreach(self, sim: Sim) -> None:
        """Someone asks for more than RBAC gives them: 403 Forbidden."""
        key, verb, resource, group, namespace, name = sim.rng.choice(OVERREACH)
        actor = self.world.people[key]
        resource, _, sub = resource.partition("/")
        if name == "*":
            name = sim.rng.choice(self.world.deployments_in((namespace,))).pods[0]
        version = "v3" if group == "projectcalico.org" else "v1"
        uri = object_path(group, version, resource, namespace, name, sub)
        ref = object_ref(resource, namespace, name, group=group, version=version, subresource=sub)
        status = forbidden(actor.username, verb, resource, group, namespace, name)
        sim.emit(sim.now, sim.event(sim.now, actor, verb, uri, ref, 403, status=status, latency=0.001))

    def impersonate(self, sim: Sim) -> None:
        """An SRE checks what an app may do with ``kubectl --as=system:serviceaccount:...``."""
        carol = self.world.people["carol"]
        d = sim.rng.choice(self.world.deployments_in(("payments", "checkout")))
        sa = self.world.workloads[d.sa]
        as_user = impersonated(sa)
        if sim.rng.random() < 0.5:
            status = forbidden(sa.username, "list", "secrets", "", d.namespace)
            event = sim.event(
                sim.now,
                carol,
                "list",
                f"/api/v1/namespaces/{d.namespace}/secrets?limit=500",
                object_ref("secrets", d.namespace),
                403,
                status=status,
                as_user=as_user,
            )
        else:
            event = sim.event(
                sim.now,
                carol,
                "list",
                f"/api/v1/namespaces/{d.namespace}/configmaps?limit=500",
                object_ref("configmaps", d.namespace),
                as_user=as_user,
            )
            event["annotations"]["authorization.k8s.io/reason"] = sa.reason
        sim.emit(sim.now, event)

    def policy_reads(self, sim: Sim) -> None:
        """People look at the policies before and after changing them."""
        actor = sim.rng.choice(self.readers)
        obj: ManagedObject = sim.rng.choice(self.world.policies)
        k, t = obj.kind, sim.now
        if sim.rng.random() < 0.5 or obj.current is None:
            ref = object_ref(k.resource, obj.seed.namespace, group=k.group, version=k.version)
            sim.emit(
                t,
                sim.event(t, actor, "list", f"{obj.path(False)}?limit=500", ref, latency=sim.latency("list")),
            )
            return
        sim.emit(t, sim.event(t, actor, "get", obj.path(), obj.ref(), latency=sim.latency("get")))

    def debug_node(self, sim: Sim) -> None:
        """``kubectl debug node/...``: a privileged pod sharing the host's namespaces: alert material."""
        carol = self.world.people["carol"]
        node = sim.rng.choice(self.world.nodes).username[12:]
        name = f"node-debugger-{node.split('.')[0]}-{suffix(sim.rng)}"
        pod = {
            "kind": "Pod",
            "apiVersion": "v1",
            "metadata": {"name": name, "namespace": "default", "creationTimestamp": None},
            "spec": {
                "nodeName": node,
                "hostPID": True,
                "hostNetwork": True,
                "hostIPC": True,
                "volumes": [{"name": "host-root", "hostPath": {"path": "/", "type": ""}}],
                "containers": [
                    {
                        "name": "debugger",
                        "image": "busybox:1.36",
                        "stdin": True,
                        "tty": True,
                        "securityContext": {"privileged": True},
                        "volumeMounts": [{"name": "host-root", "mountPath": "/host"}],
                    }
                ],
                "restartPolicy": "Never",
            },
        }
        response = clone(pod)
        response["metadata"].update(
            uid=sim.uid(), resourceVersion=sim.revision(), creationTimestamp=sim.ts.seconds(sim.now)
        )
        response["status"] = {"phase": "Pending", "qosClass": "BestEffort"}
        event = sim.event(
            sim.now,
            carol,
            "create",
            "/api/v1/namespaces/default/pods?fieldManager=kubectl-debug",
            object_ref("pods", "default", name),
            201,
            level=REQUEST_RESPONSE,
            latency=sim.latency("create"),
            request=pod,
            response=response,
        )
        event["annotations"]["pod-security.kubernetes.io/enforce-policy"] = "privileged:latest"
        sim.write(sim.now, event)

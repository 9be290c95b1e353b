"""Pods coming and going: replacements by controllers and rollouts started by people or CI."""

from __future__ import annotations

import orjson

from auditui.events.simulator.actors import Actor
from auditui.events.simulator.context import METADATA, REQUEST, REQUEST_RESPONSE, Sim
from auditui.events.simulator.ids import suffix
from auditui.events.simulator.objects import DELETE_OPTIONS, object_ref
from auditui.events.simulator.world import Deployment, World

PRIVILEGED_NAMESPACES = ("kube-system", "calico-system")


def _container(d: Deployment) -> dict:
    return {
        "name": d.name,
        "image": d.image_ref,
        "ports": [{"containerPort": d.port, "protocol": "TCP"}],
        "env": [{"name": "LOG_LEVEL", "value": "info"}, {"name": "CLUSTER_DOMAIN", "value": "cluster.local"}],
        "resources": {"limits": {"memory": "512Mi"}, "requests": {"cpu": "100m", "memory": "256Mi"}},
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
        "imagePullPolicy": "IfNotPresent",
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "capabilities": {"drop": ["ALL"]},
        },
    }


def _pod(d: Deployment) -> dict:
    """The pod a ReplicaSet controller submits for a deployment (generateName, no uid yet)."""
    return {
        "kind": "Pod",
        "apiVersion": "v1",
        "metadata": {
            "generateName": f"{d.name}-{d.rs_hash}-",
            "namespace": d.namespace,
            "creationTimestamp": None,
            "labels": {"app": d.name, "pod-template-hash": d.rs_hash},
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "ReplicaSet",
                    "name": f"{d.name}-{d.rs_hash}",
                    "uid": d.rs_uid,
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": {
            "containers": [_container(d)],
            "restartPolicy": "Always",
            "terminationGracePeriodSeconds": 30,
            "dnsPolicy": "ClusterFirst",
            "serviceAccountName": d.sa,
            "serviceAccount": d.sa,
            "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
            "schedulerName": "default-scheduler",
            "tolerations": [
                {
                    "key": "node.kubernetes.io/not-ready",
                    "operator": "Exists",
                    "effect": "NoExecute",
                    "tolerationSeconds": 300,
                },
                {
                    "key": "node.kubernetes.io/unreachable",
                    "operator": "Exists",
                    "effect": "NoExecute",
                    "tolerationSeconds": 300,
                },
            ],
            "priority": 0,
            "enableServiceLinks": True,
        },
        "status": {},
    }


def _pod_template(d: Deployment) -> bytes:
    # Serialised once per ReplicaSet: each create decodes a fresh copy instead of deep-copying.
    if d.template_hash != d.rs_hash:
        d.template, d.template_hash = orjson.dumps(_pod(d)), d.rs_hash
    return d.template


def _created_pod(sim: Sim, d: Deployment, template: bytes, name: str, t: float) -> dict:
    pod = orjson.loads(template)
    meta = pod["metadata"]
    meta["name"] = name
    meta["uid"] = sim.uid()
    meta["resourceVersion"] = sim.revision()
    meta["creationTimestamp"] = sim.ts.seconds(t)
    meta["managedFields"] = [
        {
            "manager": "kube-controller-manager",
            "operation": "Update",
            "apiVersion": "v1",
            "time": meta["creationTimestamp"],
            "fieldsType": "FieldsV1",
            "fieldsV1": {
                "f:metadata": {"f:generateName": {}, "f:labels": {}, "f:ownerReferences": {}},
                "f:spec": {"f:containers": {}, "f:serviceAccountName": {}},
            },
        }
    ]
    pod["status"] = {"phase": "Pending", "qosClass": "Burstable"}
    return pod


def create_pod(sim: Sim, world: World, d: Deployment, t: float) -> str:
    """ReplicaSet controller creates a pod; the scheduler binds it; its kubelet reports status."""
    template = _pod_template(d)
    name = f"{d.name}-{d.rs_hash}-{suffix(sim.rng)}"
    uri = f"/api/v1/namespaces/{d.namespace}/pods"
    event = sim.event(
        t,
        world.controllers["replicaset-controller"],
        "create",
        uri,
        object_ref("pods", d.namespace),
        201,
        level=REQUEST_RESPONSE,
        latency=sim.latency("create"),
        request=orjson.loads(template),
        response=_created_pod(sim, d, template, name, t),
    )
    policy = "privileged" if d.namespace in PRIVILEGED_NAMESPACES else "restricted"
    event["annotations"]["pod-security.kubernetes.io/enforce-policy"] = f"{policy}:latest"
    sim.write(t, event)
    bound = t + 0.01 + sim.rng.random() * 0.3
    sim.emit(
        bound,
        sim.event(
            bound,
            world.scheduler,
            "create",
            f"{uri}/{name}/binding",
            object_ref("pods", d.namespace, name, subresource="binding"),
            201,
        ),
    )
    node = sim.rng.choice(world.nodes)
    started = bound + 1.0 + sim.rng.random() * 4
    sim.emit(
        started,
        sim.event(
            started,
            node,
            "patch",
            f"{uri}/{name}/status",
            object_ref("pods", d.namespace, name, subresource="status"),
            200,
        ),
    )
    return name


def delete_pod(sim: Sim, world: World, d: Deployment, name: str, t: float, actor: Actor) -> None:
    """Graceful delete: the controller marks the pod, its kubelet removes it after it stopped."""
    uri = f"/api/v1/namespaces/{d.namespace}/pods/{name}"
    sim.write(
        t,
        sim.event(
            t,
            actor,
            "delete",
            uri,
            object_ref("pods", d.namespace, name),
            200,
            level=REQUEST,
            latency=sim.latency("delete"),
            request=dict(DELETE_OPTIONS),
        ),
    )
    gone = t + 2 + sim.rng.random() * 28
    sim.emit(
        gone,
        sim.event(
            gone, sim.rng.choice(world.nodes), "delete", uri, object_ref("pods", d.namespace, name), 200
        ),
    )


class Workloads:
    """Activities that churn pods."""

    def __init__(self, world: World) -> None:
        self.world = world
        # Bigger deployments churn more.
        self.weighted = [d for d in world.deployments for _ in range(d.replicas)]

    def churn(self, sim: Sim) -> None:
        """A pod dies (evicted, OOM-killed, node drained) and its ReplicaSet replaces it."""
        world, t = self.world, sim.now
        d = sim.rng.choice(self.weighted)
        index = sim.rng.randrange(len(d.pods))
        delete_pod(sim, world, d, d.pods[index], t, world.controllers["replicaset-controller"])
        d.pods[index] = create_pod(sim, world, d, t + 0.05 + sim.rng.random() * 0.5)

    def rollout(self, sim: Sim, actor: Actor, d: Deployment) -> None:
        """A new image: patch the deployment, then pods move to a new ReplicaSet one by one."""
        world, rng, t = self.world, sim.rng, sim.now
        d.version[2] += 1
        manager = "kubectl-client-side-apply" if actor.key == "ci" else "kubectl-set"
        uri = f"/apis/apps/v1/namespaces/{d.namespace}/deployments/{d.name}?fieldManager={manager}"
        body = {"spec": {"template": {"spec": {"containers": [{"name": d.name, "image": d.image_ref}]}}}}
        sim.write(
            t,
            sim.event(
                t,
                actor,
                "patch",
                uri,
                object_ref("deployments", d.namespace, d.name, group="apps", version="v1"),
                level=REQUEST,
                latency=sim.latency("patch"),
                request=body,
            ),
        )
        old_pods, old_hash = d.pods, d.rs_hash
        d.rs_hash, d.rs_uid = suffix(rng, 10), sim.uid()
        self._replica_set(sim, d, "create", t + 0.05, 201)
        d.pods = []
        step = t + 1.0
        for old in old_pods:
            d.pods.append(create_pod(sim, world, d, step))
            delete_pod(
                sim, world, d, old, step + 4 + rng.random() * 6, world.controllers["replicaset-controller"]
            )
            step += 8 + rng.random() * 12
        self._replica_set(sim, d, "update", step, 200, f"{d.name}-{old_hash}")

    def _replica_set(self, sim: Sim, d: Deployment, verb: str, t: float, code: int, name: str = "") -> None:
        name = name or f"{d.name}-{d.rs_hash}"
        uri = f"/apis/apps/v1/namespaces/{d.namespace}/replicasets"
        if verb != "create":
            uri += f"/{name}"
        ref = object_ref("replicasets", d.namespace, name, group="apps", version="v1")
        sim.emit(
            t,
            sim.event(
                t,
                self.world.controllers["deployment-controller"],
                verb,
                uri,
                ref,
                code,
                latency=sim.latency(verb),
                level=METADATA,
            ),
        )

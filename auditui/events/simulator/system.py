"""The machinery's steady background noise: leases, informers, kubelets, apps reading config,
monitoring, and strangers knocking on the API server from the internet."""

from __future__ import annotations

from auditui.events.simulator import actors
from auditui.events.simulator.actors import Actor
from auditui.events.simulator.context import STARTED, Sim
from auditui.events.simulator.objects import api_prefix, forbidden, object_ref
from auditui.events.simulator.world import APP_READS, World

CORE, APPS, DISCOVERY = ("", "v1"), ("apps", "v1"), ("discovery.k8s.io", "v1")
NETWORKING, BATCH = ("networking.k8s.io", "v1"), ("batch", "v1")
CALICO_CRD = ("crd.projectcalico.org", "v1")
# What each informer-running client watches: (group, version), resources.
WATCHES = {
    "replicaset-controller": ((CORE, "pods"), (APPS, "replicasets")),
    "deployment-controller": ((APPS, "deployments"), (APPS, "replicasets"), (CORE, "pods")),
    "endpointslice-controller": ((CORE, "services"), (CORE, "pods"), (DISCOVERY, "endpointslices")),
    "generic-garbage-collector": (
        (CORE, "configmaps"),
        (CORE, "secrets"),
        (APPS, "replicasets"),
        (CORE, "serviceaccounts"),
        (NETWORKING, "networkpolicies"),
    ),
    "namespace-controller": ((CORE, "namespaces"),),
    "job-controller": ((BATCH, "jobs"), (CORE, "pods")),
    "cronjob-controller": ((BATCH, "cronjobs"),),
    "node-lifecycle-controller": ((CORE, "nodes"), (CORE, "pods")),
    "horizontalpodautoscaler-controller": ((("autoscaling", "v2"), "horizontalpodautoscalers"),),
    "resourcequota-controller": ((CORE, "resourcequotas"),),
    "scheduler": (
        (CORE, "pods"),
        (CORE, "nodes"),
        (CORE, "persistentvolumeclaims"),
        (("storage.k8s.io", "v1"), "csinodes"),
    ),
    "prometheus": ((CORE, "pods"), (CORE, "endpoints"), (CORE, "services"), (CORE, "nodes")),
    "coredns": ((CORE, "services"), (DISCOVERY, "endpointslices"), (CORE, "namespaces")),
    "ingress-nginx": ((NETWORKING, "ingresses"), (CORE, "services"), (DISCOVERY, "endpointslices")),
    "kube-state-metrics": ((CORE, "pods"), (APPS, "deployments"), (CORE, "nodes"), (BATCH, "jobs")),
    "cert-manager": ((("cert-manager.io", "v1"), "certificates"), (CORE, "secrets")),
    "calico-node": (
        (CALICO_CRD, "globalnetworkpolicies"),
        (CALICO_CRD, "networkpolicies"),
        (NETWORKING, "networkpolicies"),
        (CALICO_CRD, "tiers"),
        (CALICO_CRD, "ipamblocks"),
    ),
    "calico-typha": (
        (CALICO_CRD, "globalnetworksets"),
        (CALICO_CRD, "networksets"),
        (CALICO_CRD, "felixconfigurations"),
        (CORE, "pods"),
    ),
    "calico-kube-controllers": ((CORE, "nodes"), (CORE, "namespaces"), (NETWORKING, "networkpolicies")),
}
LEADER_LEASES = (
    ("kcm", "kube-system", "kube-controller-manager"),
    ("scheduler", "kube-system", "kube-scheduler"),
    ("calico-kube-controllers", "calico-system", "calico-kube-controllers"),
    ("cert-manager", "kube-system", "cert-manager-controller"),
    ("ingress-nginx", "ingress-nginx", "ingress-nginx-leader"),
)
PUBLIC_PATHS = ("/version", "/healthz", "/readyz", "/livez")
PROBED_PATHS = (
    "/",
    "/.env",
    "/api/v1/namespaces/kube-system/secrets",
    "/api/v1/pods",
    "/apis/apps/v1/deployments",
    "/api/v1/namespaces/default/pods",
    "/metrics",
)


def _watch_query(sim: Sim, extra: str = "") -> tuple[str, int]:
    """Query string of a client-go watch and its timeout (clients pick 5-10 minutes at random)."""
    timeout = 300 + int(sim.rng.random() * 300)
    query = (
        f"?allowWatchBookmarks=true{extra}&resourceVersion={sim.revision()}"
        f"&timeout={timeout // 60}m{timeout % 60}s&timeoutSeconds={timeout}&watch=true"
    )
    return query, timeout


class System:
    """Activities of controllers, kubelets and workloads; each method is one activity."""

    def __init__(self, world: World) -> None:
        self.world = world
        every = {
            **world.controllers,
            **world.workloads,
            "scheduler": world.scheduler,
            "kcm": world.controller_manager,
        }
        self.watchers = [
            (every[key], gv, resource) for key, watched in WATCHES.items() for gv, resource in watched
        ]
        self.leases = [(every[key], ns, name) for key, ns, name in LEADER_LEASES]
        self.app_reads = [(world.workloads[sa], sa, reads) for sa, reads in APP_READS.items()]

    def node_lease(self, sim: Sim) -> None:
        """Kubelet heartbeat: renew the node's Lease (every 10 s on a real node)."""
        node = sim.rng.choice(self.world.nodes)
        name = node.username[12:]
        uri = f"/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/{name}?timeout=10s"
        ref = object_ref("leases", "kube-node-lease", name, group="coordination.k8s.io")
        sim.emit(sim.now, sim.event(sim.now, node, "update", uri, ref, latency=sim.latency("update")))

    def leader_lease(self, sim: Sim) -> None:
        """A leader-elected component reads and renews its lock."""
        actor, namespace, name = sim.rng.choice(self.leases)
        uri = f"/apis/coordination.k8s.io/v1/namespaces/{namespace}/leases/{name}"
        t = sim.now
        for verb in ("get", "update"):
            ref = object_ref("leases", namespace, name, group="coordination.k8s.io")
            sim.emit(t, sim.event(t, actor, verb, uri, ref, latency=sim.latency(verb)))
            t += 0.002 + sim.rng.random() * 0.01

    def informer(self, sim: Sim) -> None:
        """An informer relists or (more often) re-opens its watch, which runs for 5-10 minutes."""
        actor, (group, version), resource = sim.rng.choice(self.watchers)
        base = api_prefix(group, version) + "/" + resource
        ref = object_ref(resource, group=group, version=version)
        if sim.rng.random() < 0.25:
            sim.emit(
                sim.now,
                sim.event(
                    sim.now,
                    actor,
                    "list",
                    f"{base}?limit=500&resourceVersion=0",
                    ref,
                    latency=sim.latency("list"),
                ),
            )
            return
        query, timeout = _watch_query(sim)
        event = sim.event(sim.now, actor, "watch", base + query, ref, stage=STARTED, latency=0.001)
        sim.stream(sim.now, event, timeout)

    def kubelet(self, sim: Sim) -> None:
        """Kubelet chores: node status, bound service-account tokens, watching mounted objects."""
        rng, t = sim.rng, sim.now
        node = rng.choice(self.world.nodes)
        name = node.username[12:]
        roll = rng.random()
        if roll < 0.3:
            sim.emit(
                t,
                sim.event(
                    t,
                    node,
                    "patch",
                    f"/api/v1/nodes/{name}/status",
                    object_ref("nodes", name=name, subresource="status"),
                    latency=sim.latency("patch"),
                ),
            )
            return
        d = rng.choice(self.world.deployments)
        if roll < 0.7:
            uri = f"/api/v1/namespaces/{d.namespace}/serviceaccounts/{d.sa}/token"
            ref = object_ref("serviceaccounts", d.namespace, d.sa, subresource="token")
            sim.emit(t, sim.event(t, node, "create", uri, ref, 201, latency=sim.latency("create")))
            return
        resource = "secrets" if roll < 0.85 else "configmaps"
        target = "kube-root-ca.crt" if resource == "configmaps" else f"{d.sa}-tls"
        uri = f"/api/v1/namespaces/{d.namespace}/{resource}"
        query, timeout = _watch_query(sim, f"&fieldSelector=metadata.name%3D{target}")
        event = sim.event(
            t,
            node,
            "watch",
            uri + query,
            object_ref(resource, d.namespace, target),
            stage=STARTED,
            latency=0.001,
        )
        sim.stream(t, event, timeout)

    def endpoints(self, sim: Sim) -> None:
        """Pods became ready or went away: the EndpointSlice controller rewrites a slice."""
        d = sim.rng.choice(self.world.deployments)
        name = d.slice_name
        uri = f"/apis/discovery.k8s.io/v1/namespaces/{d.namespace}/endpointslices/{name}"
        ref = object_ref("endpointslices", d.namespace, name, group="discovery.k8s.io")
        actor = self.world.controllers["endpointslice-controller"]
        sim.emit(sim.now, sim.event(sim.now, actor, "update", uri, ref, latency=sim.latency("update")))

    def app_config(self, sim: Sim) -> None:
        """An application reads its own ConfigMaps and Secrets (Metadata level: no contents logged)."""
        actor, _sa, reads = sim.rng.choice(self.app_reads)
        namespace = actor.username.split(":")[2]
        resource, name = sim.rng.choice(reads)
        uri = f"/api/v1/namespaces/{namespace}/{resource}/{name}"
        sim.emit(
            sim.now,
            sim.event(
                sim.now, actor, "get", uri, object_ref(resource, namespace, name), latency=sim.latency("get")
            ),
        )

    def monitoring(self, sim: Sim) -> None:
        """Prometheus scrapes the API server and lists targets."""
        actor = self.world.workloads["prometheus"]
        if sim.rng.random() < 0.5:
            sim.emit(sim.now, sim.event(sim.now, actor, "get", "/metrics", None, latency=0.02))
            return
        resource = sim.rng.choice(("pods", "endpoints", "services", "nodes"))
        sim.emit(
            sim.now,
            sim.event(
                sim.now,
                actor,
                "list",
                f"/api/v1/{resource}?limit=500",
                object_ref(resource),
                latency=sim.latency("list"),
            ),
        )

    def misconfigured_app(self, sim: Sim) -> None:
        """fraud-scorer keeps listing pods without RBAC for it: a steady trickle of 403s."""
        actor = self.world.workloads["fraud-scorer"]
        status = forbidden(actor.username, "list", "pods", "", "payments")
        sim.emit(
            sim.now,
            sim.event(
                sim.now,
                actor,
                "list",
                "/api/v1/namespaces/payments/pods?limit=500",
                object_ref("pods", "payments"),
                403,
                status=status,
                latency=0.001,
            ),
        )

    def discovery(self, sim: Sim) -> None:
        """A controller refreshes API discovery (non-resource URLs, no objectRef)."""
        actor = sim.rng.choice(list(self.world.controllers.values()))
        path = sim.rng.choice(("/api", "/apis", "/version", "/openapi/v3"))
        sim.emit(sim.now, sim.event(sim.now, actor, "get", path, None, latency=sim.latency("get")))

    def scanner(self, sim: Sim) -> None:
        """Someone on the internet probes the API endpoint: a short burst of anonymous requests."""
        rng = sim.rng
        stranger = actors.anonymous(rng.choice(actors.SCANNER_AGENTS), rng.choice(actors.SCANNER_IPS))
        t = sim.now
        for _ in range(1 + int(rng.random() * 5)):
            sim.emit(t, self._probe(sim, stranger, t))
            t += 0.05 + rng.random() * 2

    def _probe(self, sim: Sim, stranger: Actor, t: float) -> dict:
        roll = sim.rng.random()
        if roll < 0.45:
            return sim.event(t, stranger, "get", sim.rng.choice(PUBLIC_PATHS), None, latency=0.0005)
        path = sim.rng.choice(PROBED_PATHS)
        if roll < 0.8:
            verb, ref, status = _anonymous_forbidden(path)
            return sim.event(t, stranger, verb, path, ref, 403, status=status, latency=0.0004)
        # A stolen or expired token: authentication fails before anyone is known (user is empty).
        event = sim.event(
            t,
            stranger,
            "get",
            path,
            None,
            401,
            stage=STARTED,
            latency=0.0003,
            status={"metadata": {}, "message": "Authentication failed, attempted: bearer", "code": 401},
        )
        event["user"] = {}
        return event


def _anonymous_forbidden(path: str) -> tuple[str, dict | None, dict]:
    """(verb, objectRef, responseStatus) of an anonymous request RBAC turns away."""
    parts = path.strip("/").split("/")
    if parts[0] not in ("api", "apis") or len(parts) < 3:
        message = f'forbidden: User "system:anonymous" cannot get path "{path}"'
        return (
            "get",
            None,
            {
                "metadata": {},
                "status": "Failure",
                "message": message,
                "reason": "Forbidden",
                "details": {},
                "code": 403,
            },
        )
    group = "" if parts[0] == "api" else parts[1]
    version = parts[1] if parts[0] == "api" else parts[2]
    rest = parts[2:] if parts[0] == "api" else parts[3:]
    namespace = rest[1] if rest[0] == "namespaces" else ""
    resource = rest[-1]
    ref = object_ref(resource, namespace, group=group, version=version)
    return "list", ref, forbidden("system:anonymous", "list", resource, group, namespace)

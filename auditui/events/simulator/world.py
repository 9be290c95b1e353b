"""A cluster's cast and topology: nodes, namespaces, deployments and their pods, who runs what."""

from __future__ import annotations

from dataclasses import dataclass, field
from random import Random

from auditui.events.simulator import actors
from auditui.events.simulator.actors import Actor
from auditui.events.simulator.ids import suffix, uuid4

APP_NAMESPACES = ("payments", "checkout", "frontend")
NAMESPACES = APP_NAMESPACES + (
    "monitoring",
    "kube-system",
    "calico-system",
    "ingress-nginx",
    "cert-manager",
    "ci",
    "default",
)
CONTROLLERS = (
    "replicaset-controller",
    "deployment-controller",
    "endpointslice-controller",
    "generic-garbage-collector",
    "namespace-controller",
    "job-controller",
    "cronjob-controller",
    "node-lifecycle-controller",
    "horizontalpodautoscaler-controller",
    "resourcequota-controller",
)
REGIONS = {"eu": "eu-west-1", "us": "us-east-1"}

# (namespace, deployment, replicas, service account, image, port)
DEPLOYMENTS = (
    ("payments", "payments-api", 3, "payments-api", "registry.example.com/payments/api", 8443),
    ("payments", "ledger", 2, "ledger", "registry.example.com/payments/ledger", 8080),
    ("payments", "fraud-scorer", 2, "fraud-scorer", "registry.example.com/payments/fraud-scorer", 9000),
    ("checkout", "checkout-api", 3, "checkout-api", "registry.example.com/checkout/api", 8080),
    ("checkout", "cart", 2, "cart", "registry.example.com/checkout/cart", 8080),
    ("frontend", "web", 4, "web", "registry.example.com/frontend/web", 8080),
    ("frontend", "bff", 2, "bff", "registry.example.com/frontend/bff", 8080),
    ("monitoring", "grafana", 1, "grafana", "docker.io/grafana/grafana", 3000),
    (
        "monitoring",
        "kube-state-metrics",
        1,
        "kube-state-metrics",
        "registry.k8s.io/kube-state-metrics/kube-state-metrics",
        8080,
    ),
    ("kube-system", "coredns", 2, "coredns", "registry.k8s.io/coredns/coredns", 53),
    (
        "kube-system",
        "metrics-server",
        1,
        "metrics-server",
        "registry.k8s.io/metrics-server/metrics-server",
        10250,
    ),
    (
        "ingress-nginx",
        "ingress-nginx-controller",
        2,
        "ingress-nginx",
        "registry.k8s.io/ingress-nginx/controller",
        443,
    ),
    (
        "calico-system",
        "calico-kube-controllers",
        1,
        "calico-kube-controllers",
        "quay.io/calico/kube-controllers",
        9094,
    ),
    ("cert-manager", "cert-manager", 1, "cert-manager", "quay.io/jetstack/cert-manager-controller", 9402),
)
# Workloads that read the API themselves, and what they read.
APP_READS = {
    "payments-api": (
        ("configmaps", "payments-config"),
        ("secrets", "payments-db"),
        ("secrets", "stripe-api-key"),
    ),
    "ledger": (("configmaps", "ledger-config"), ("secrets", "ledger-db")),
    "fraud-scorer": (("configmaps", "fraud-model"),),
    "checkout-api": (("configmaps", "checkout-config"), ("secrets", "checkout-db")),
    "cart": (("configmaps", "cart-config"), ("secrets", "redis-password")),
    "web": (("configmaps", "web-config"),),
    "bff": (("configmaps", "bff-config"), ("secrets", "session-key")),
    "grafana": (("configmaps", "grafana-dashboards"), ("secrets", "grafana-admin")),
    "cert-manager": (("secrets", "letsencrypt-account-key"), ("configmaps", "cert-manager-config")),
}


@dataclass
class Deployment:
    namespace: str
    name: str
    replicas: int
    sa: str
    image: str
    port: int
    uid: str
    rs_hash: str
    rs_uid: str
    version: list[int]
    pods: list[str] = field(default_factory=list)
    slice_name: str = ""  # its Service's EndpointSlice
    template: bytes = b""  # the serialised pod of the current ReplicaSet (see workloads)
    template_hash: str = ""

    @property
    def image_ref(self) -> str:
        return f"{self.image}:v{'.'.join(map(str, self.version))}"


@dataclass
class World:
    cluster: str
    nodes: list[Actor]
    node_ips: dict[str, str]
    people: dict[str, Actor]
    controllers: dict[str, Actor]
    scheduler: Actor
    controller_manager: Actor
    workloads: dict[str, Actor]
    deployments: list[Deployment]
    policies: list = field(default_factory=list)  # policies.ManagedObject, filled by policies.seed()

    def deployments_in(self, namespaces: tuple[str, ...]) -> list[Deployment]:
        if not namespaces:
            return self.deployments
        return [d for d in self.deployments if d.namespace in namespaces]


def region_of(cluster: str) -> str:
    for hint, region in REGIONS.items():
        if hint in cluster:
            return region
    return "eu-central-1"


def team_utc_offset(cluster: str) -> float:
    """Hours from UTC of the people who work on the cluster (drives the daily rhythm)."""
    return -5.0 if "us" in cluster else 1.0


def _nodes(rng: Random, cluster: str) -> list[tuple[str, str]]:
    count = 4 if "staging" in cluster else 8
    region = region_of(cluster)
    subnet = rng.randrange(1, 250)
    nodes = []
    for _ in range(count):
        ip = f"10.{subnet}.{rng.randrange(0, 64)}.{rng.randrange(2, 254)}"
        nodes.append((f"ip-{ip.replace('.', '-')}.{region}.compute.internal", ip))
    return nodes


def _deployment(rng: Random, spec: tuple) -> Deployment:
    namespace, name, replicas, sa, image, port = spec
    version = [1, rng.randrange(2, 40), rng.randrange(0, 9)]
    deployment = Deployment(
        namespace, name, replicas, sa, image, port, uuid4(rng), suffix(rng, 10), uuid4(rng), version
    )
    deployment.pods = [f"{name}-{deployment.rs_hash}-{suffix(rng)}" for _ in range(replicas)]
    deployment.slice_name = f"{name}-{suffix(rng)}"
    return deployment


def _pod_ip(rng: Random) -> str:
    return f"100.64.{rng.randrange(0, 255)}.{rng.randrange(2, 254)}"


def _workloads(rng: Random) -> dict[str, Actor]:
    result = {}
    for namespace, _name, _replicas, sa, _image, _port in DEPLOYMENTS:
        result[sa] = actors.workload(rng, namespace, sa, f"{sa}/1.0 Go-http-client/2.0", _pod_ip(rng))
    extra = (
        ("monitoring", "prometheus", "Prometheus/2.54.1"),
        ("calico-system", "calico-node", "calico-node/v3.29.1 (linux/amd64)"),
        ("calico-system", "calico-typha", "calico-typha/v3.29.1 (linux/amd64)"),
    )
    for namespace, sa, agent in extra:
        result[sa] = actors.workload(rng, namespace, sa, agent, _pod_ip(rng))
    return result


def build(rng: Random, cluster: str) -> World:
    nodes = _nodes(rng, cluster)
    control_plane = "10.0.0.10"
    agent = f"kube-scheduler/{actors.KUBE_VERSION}/scheduler"
    return World(
        cluster=cluster,
        nodes=[actors.kubelet(rng, name, ip) for name, ip in nodes],
        node_ips=dict(nodes),
        people=actors.people(rng),
        controllers={name: actors.controller(rng, name, control_plane) for name in CONTROLLERS},
        scheduler=actors.component(rng, "scheduler", "system:kube-scheduler", agent, control_plane),
        controller_manager=actors.component(
            rng,
            "kcm",
            "system:kube-controller-manager",
            f"kube-controller-manager/{actors.KUBE_VERSION}/leader-election",
            control_plane,
        ),
        workloads=_workloads(rng),
        deployments=[_deployment(rng, spec) for spec in DEPLOYMENTS],
    )

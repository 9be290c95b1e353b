"""The network-policy objects every simulated cluster starts with, and who may edit each."""

from __future__ import annotations

from dataclasses import dataclass

from auditui.events.simulator import mutations as m


@dataclass(frozen=True)
class Kind:
    kind: str
    resource: str
    group: str
    version: str
    namespaced: bool
    mutations: tuple[m.Mutation, ...]
    weight: float  # share of policy changes that touch this kind

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}"

    @property
    def is_k8s(self) -> bool:
        return self.group == "networking.k8s.io"


K8S_NETWORK_POLICY = Kind(
    "NetworkPolicy", "networkpolicies", "networking.k8s.io", "v1", True, m.K8S_POLICY_MUTATIONS, 0.22
)
GLOBAL_NETWORK_POLICY = Kind(
    "GlobalNetworkPolicy",
    "globalnetworkpolicies",
    "projectcalico.org",
    "v3",
    False,
    m.CALICO_POLICY_MUTATIONS,
    0.17,
)
CALICO_NETWORK_POLICY = Kind(
    "NetworkPolicy", "networkpolicies", "projectcalico.org", "v3", True, m.CALICO_POLICY_MUTATIONS, 0.17
)
STAGED_NETWORK_POLICY = Kind(
    "StagedNetworkPolicy",
    "stagednetworkpolicies",
    "projectcalico.org",
    "v3",
    True,
    m.CALICO_POLICY_MUTATIONS,
    0.11,
)
TIER = Kind("Tier", "tiers", "projectcalico.org", "v3", False, m.TIER_MUTATIONS, 0.1)
NETWORK_SET = Kind("NetworkSet", "networksets", "projectcalico.org", "v3", True, m.NETWORKSET_MUTATIONS, 0.1)
GLOBAL_NETWORK_SET = Kind(
    "GlobalNetworkSet",
    "globalnetworksets",
    "projectcalico.org",
    "v3",
    False,
    m.GLOBAL_NETWORKSET_MUTATIONS,
    0.13,
)
KINDS = (
    K8S_NETWORK_POLICY,
    GLOBAL_NETWORK_POLICY,
    CALICO_NETWORK_POLICY,
    STAGED_NETWORK_POLICY,
    TIER,
    NETWORK_SET,
    GLOBAL_NETWORK_SET,
)


@dataclass(frozen=True)
class Seed:
    kind: Kind
    namespace: str
    name: str
    spec: dict
    editors: tuple[str, ...]  # keys of actors.people() allowed to change it
    labels: dict | None = None


def _ns(name: str) -> str:
    return f"projectcalico.org/name == '{name}'"


def _calico(
    tier: str,
    order: int,
    selector: str,
    types: list[str],
    ingress: list | None = None,
    egress: list | None = None,
    staged: bool = False,
) -> dict:
    spec: dict = {"stagedAction": "Set"} if staged else {}
    spec.update({"tier": tier, "order": order, "selector": selector, "types": types})
    if ingress is not None:
        spec["ingress"] = ingress
    if egress is not None:
        spec["egress"] = egress
    return spec


def _allow(protocol: str, ports: list, **ends: dict) -> dict:
    rule = {"action": "Allow", "protocol": protocol}
    rule.update(ends)
    rule.setdefault("destination", {})["ports"] = ports
    return rule


def _tier_label(name: str) -> dict:
    return {"projectcalico.org/tier": name.split(".", 1)[0]}


DNS = _allow(
    "UDP", [53], destination={"selector": "k8s-app == 'kube-dns'", "namespaceSelector": _ns("kube-system")}
)


def _calico_seeds() -> list[Seed]:
    g, n, s = GLOBAL_NETWORK_POLICY, CALICO_NETWORK_POLICY, STAGED_NETWORK_POLICY
    sec, plat = ("dave", "carol"), ("carol", "dave")
    return [
        Seed(TIER, "", "security", {"order": 100, "defaultAction": "Deny"}, sec),
        Seed(TIER, "", "platform", {"order": 200, "defaultAction": "Pass"}, plat),
        Seed(
            g,
            "",
            "security.block-cloud-metadata",
            _calico(
                "security",
                10,
                "all()",
                ["Egress"],
                egress=[
                    {
                        "action": "Deny",
                        "protocol": "TCP",
                        "destination": {"nets": ["169.254.169.254/32"], "ports": [80]},
                    },
                    {"action": "Pass"},
                ],
            ),
            sec,
        ),
        Seed(
            g,
            "",
            "security.quarantine",
            _calico(
                "security",
                5,
                "quarantine == 'true'",
                ["Ingress", "Egress"],
                ingress=[{"action": "Deny"}],
                egress=[{"action": "Deny"}],
            ),
            ("dave", "carol"),
        ),
        Seed(
            g,
            "",
            "security.block-threat-feeds",
            _calico(
                "security",
                20,
                "all()",
                ["Ingress", "Egress"],
                ingress=[
                    {"action": "Deny", "source": {"selector": "feed == 'blocklist'"}},
                    {"action": "Pass"},
                ],
                egress=[
                    {"action": "Deny", "destination": {"selector": "feed == 'blocklist'"}},
                    {"action": "Pass"},
                ],
            ),
            ("dave", "carol"),
        ),
        Seed(
            g,
            "",
            "platform.allow-dns",
            _calico(
                "platform",
                100,
                "all()",
                ["Egress"],
                egress=[
                    DNS,
                    _allow(
                        "TCP",
                        [53],
                        destination={
                            "selector": "k8s-app == 'kube-dns'",
                            "namespaceSelector": _ns("kube-system"),
                        },
                    ),
                ],
            ),
            plat,
        ),
        Seed(
            g,
            "",
            "default.default-deny",
            _calico(
                "default",
                2000,
                "projectcalico.org/namespace not in {'kube-system', 'calico-system', 'tigera-operator'}",
                ["Ingress", "Egress"],
            ),
            plat,
        ),
        Seed(
            n,
            "payments",
            "default.payments-api",
            _calico(
                "default",
                100,
                "app == 'payments-api'",
                ["Ingress", "Egress"],
                ingress=[
                    _allow(
                        "TCP",
                        [8443],
                        source={"selector": "app == 'checkout-api'", "namespaceSelector": _ns("checkout")},
                    )
                ],
                egress=[
                    _allow("TCP", [8080], destination={"selector": "app == 'ledger'"}),
                    _allow("TCP", [443], destination={"selector": "role == 'partner-bank'"}),
                ],
            ),
            ("alice", "ci", "carol"),
        ),
        Seed(
            n,
            "payments",
            "default.ledger",
            _calico(
                "default",
                110,
                "app == 'ledger'",
                ["Ingress"],
                ingress=[_allow("TCP", [8080], source={"selector": "app == 'payments-api'"})],
            ),
            ("alice", "ci"),
        ),
        Seed(
            n,
            "checkout",
            "default.checkout-api",
            _calico(
                "default",
                100,
                "app == 'checkout-api'",
                ["Ingress", "Egress"],
                ingress=[
                    _allow(
                        "TCP",
                        [8080],
                        source={"selector": "app == 'bff'", "namespaceSelector": _ns("frontend")},
                    )
                ],
                egress=[
                    _allow(
                        "TCP",
                        [8443],
                        destination={
                            "selector": "app == 'payments-api'",
                            "namespaceSelector": _ns("payments"),
                        },
                    )
                ],
            ),
            ("alice", "bob", "ci"),
        ),
        Seed(
            n,
            "frontend",
            "default.web",
            _calico(
                "default",
                100,
                "app == 'web'",
                ["Ingress"],
                ingress=[_allow("TCP", [8080], source={"namespaceSelector": _ns("ingress-nginx")})],
            ),
            ("bob", "ci"),
        ),
        Seed(
            n,
            "monitoring",
            "platform.prometheus-scrape",
            _calico(
                "platform",
                50,
                "app.kubernetes.io/name == 'prometheus'",
                ["Egress"],
                egress=[_allow("TCP", [9090, 9100, 8080], destination={})],
            ),
            ("carol", "ci"),
        ),
        Seed(
            s,
            "payments",
            "default.staged-ledger-lockdown",
            _calico(
                "default",
                90,
                "app == 'ledger'",
                ["Ingress"],
                staged=True,
                ingress=[
                    _allow("TCP", [8080], source={"selector": "app == 'payments-api'"}),
                    {"action": "Deny"},
                ],
            ),
            ("dave", "alice"),
        ),
        Seed(
            s,
            "frontend",
            "default.staged-bff-egress",
            _calico(
                "default",
                90,
                "app == 'bff'",
                ["Egress"],
                staged=True,
                egress=[_allow("TCP", [8080], destination={"namespaceSelector": _ns("checkout")}), DNS],
            ),
            ("bob", "dave"),
        ),
        Seed(
            NETWORK_SET,
            "payments",
            "partner-banks",
            {"nets": ["198.51.100.0/28", "203.0.113.64/27"]},
            ("alice", "dave"),
            {"role": "partner-bank"},
        ),
        Seed(
            NETWORK_SET,
            "monitoring",
            "external-probes",
            {"nets": ["192.0.2.128/25"]},
            ("carol", "dave"),
            {"role": "uptime-probes"},
        ),
        Seed(
            GLOBAL_NETWORK_SET,
            "",
            "threat-feed-blocklist",
            {"nets": ["45.83.64.0/22", "185.220.101.0/24", "91.240.118.0/24"]},
            ("dave", "carol"),
            {"feed": "blocklist"},
        ),
        Seed(
            GLOBAL_NETWORK_SET,
            "",
            "office-egress",
            {"nets": ["192.0.2.0/26", "198.51.100.128/26"]},
            ("dave", "carol"),
            {"role": "office"},
        ),
        Seed(
            GLOBAL_NETWORK_SET,
            "",
            "saas-endpoints",
            {"nets": [], "allowedEgressDomains": ["api.stripe.com", "*.datadoghq.eu"]},
            ("dave", "carol"),
            {"role": "saas"},
        ),
    ]


def _pods(**labels: str) -> dict:
    return {"matchLabels": labels}


def _from_ns(namespace: str, **pod_labels: str) -> dict:
    peer = {"namespaceSelector": _pods(**{"kubernetes.io/metadata.name": namespace})}
    if pod_labels:
        peer["podSelector"] = _pods(**pod_labels)
    return peer


def _tcp(port: int) -> dict:
    return {"protocol": "TCP", "port": port}


def _k8s_seeds() -> list[Seed]:
    k = K8S_NETWORK_POLICY
    return [
        Seed(
            k,
            "payments",
            "default-deny-ingress",
            {"podSelector": {}, "policyTypes": ["Ingress"]},
            ("ci", "alice"),
        ),
        Seed(
            k,
            "payments",
            "allow-checkout-to-payments-api",
            {
                "podSelector": _pods(app="payments-api"),
                "policyTypes": ["Ingress"],
                "ingress": [{"from": [_from_ns("checkout", app="checkout-api")], "ports": [_tcp(8443)]}],
            },
            ("ci", "alice"),
        ),
        Seed(
            k,
            "checkout",
            "allow-frontend",
            {
                "podSelector": _pods(app="checkout-api"),
                "policyTypes": ["Ingress"],
                "ingress": [{"from": [_from_ns("frontend", app="bff")], "ports": [_tcp(8080)]}],
            },
            ("ci", "bob", "alice"),
        ),
        Seed(
            k,
            "frontend",
            "allow-ingress-nginx",
            {
                "podSelector": _pods(app="web"),
                "policyTypes": ["Ingress"],
                "ingress": [{"from": [_from_ns("ingress-nginx")], "ports": [_tcp(8080)]}],
            },
            ("ci", "bob"),
        ),
        Seed(
            k,
            "monitoring",
            "allow-prometheus-scrape",
            {
                "podSelector": {},
                "policyTypes": ["Ingress"],
                "ingress": [{"from": [{"podSelector": _pods(app="prometheus")}], "ports": [_tcp(9090)]}],
            },
            ("carol", "ci"),
        ),
    ]


def seeds() -> list[Seed]:
    return _calico_seeds() + _k8s_seeds()


def labels_for(seed: Seed) -> dict | None:
    """Labels as the API server stores them (Calico adds the tier label to policies)."""
    if seed.kind.resource.endswith("policies") and not seed.kind.is_k8s:
        return {**_tier_label(seed.name), **(seed.labels or {})}
    return dict(seed.labels) if seed.labels else None

"""Edits people make to network policies and network sets, written as JSON Patch operations.

Every mutation takes the object as it is now and returns RFC 6902 operations that really change
it; the simulator then derives the update, merge-patch and strategic-patch bodies from the result.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from random import Random

Ops = list[dict]
Mutation = Callable[[Random, dict], Ops]

CALICO_APPS = ("payments-api", "ledger", "checkout-api", "cart", "web", "bff", "fraud-scorer")
CALICO_INGRESS = (
    {
        "action": "Allow",
        "protocol": "TCP",
        "source": {"selector": "app == 'bff'"},
        "destination": {"ports": [8080]},
    },
    {
        "action": "Allow",
        "protocol": "TCP",
        "source": {"namespaceSelector": "projectcalico.org/name == 'monitoring'"},
        "destination": {"ports": [9090, 9100]},
    },
    {"action": "Deny", "source": {"selector": "feed == 'blocklist'"}},
    {
        "action": "Allow",
        "protocol": "TCP",
        "source": {"nets": ["10.20.0.0/16"]},
        "destination": {"ports": [22]},
    },
    {"action": "Log", "protocol": "TCP", "source": {"notNets": ["10.0.0.0/8"]}},
    {
        "action": "Allow",
        "protocol": "TCP",
        "source": {"selector": "role == 'office'"},
        "destination": {"ports": ["8000:8100"]},
    },
)
CALICO_EGRESS = (
    {
        "action": "Allow",
        "protocol": "UDP",
        "destination": {
            "selector": "k8s-app == 'kube-dns'",
            "namespaceSelector": "projectcalico.org/name == 'kube-system'",
            "ports": [53],
        },
    },
    {"action": "Allow", "protocol": "TCP", "destination": {"nets": ["10.0.0.0/8"], "ports": [5432]}},
    {
        "action": "Allow",
        "protocol": "TCP",
        "destination": {"selector": "role == 'partner-bank'", "ports": [443]},
    },
    {
        "action": "Allow",
        "protocol": "TCP",
        "destination": {"domains": ["api.stripe.com", "*.datadoghq.eu"], "ports": [443]},
    },
    {"action": "Deny", "destination": {"nets": ["0.0.0.0/0"]}},
)
K8S_INGRESS = (
    {
        "from": [{"podSelector": {"matchLabels": {"app": "bff"}}}],
        "ports": [{"protocol": "TCP", "port": 8080}],
    },
    {
        "from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}],
        "ports": [{"protocol": "TCP", "port": 9090}],
    },
    {
        "from": [{"ipBlock": {"cidr": "10.20.0.0/16", "except": ["10.20.99.0/24"]}}],
        "ports": [{"protocol": "TCP", "port": 443}],
    },
    {
        "from": [
            {
                "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}},
                "podSelector": {"matchLabels": {"app.kubernetes.io/name": "ingress-nginx"}},
            }
        ]
    },
)
K8S_EGRESS = (
    {
        "to": [
            {
                "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
            }
        ],
        "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
    },
    {"to": [{"ipBlock": {"cidr": "10.0.0.0/8"}}], "ports": [{"protocol": "TCP", "port": 5432}]},
)
PORTS = (80, 443, 8080, 8443, 9000, 9090, 5432, 6379)
NETS = (
    "198.51.100.0/28",
    "203.0.113.64/27",
    "192.0.2.128/25",
    "100.68.0.0/16",
    "172.20.8.0/21",
    "45.83.64.0/22",
    "185.220.101.0/24",
    "91.240.118.0/24",
    "194.26.29.0/24",
)
DOMAINS = ("api.stripe.com", "*.datadoghq.eu", "hooks.slack.com", "api.github.com", "*.s3.amazonaws.com")
OWNERS = ("payments", "checkout", "platform", "security", "sre")
ACTIONS = ("Allow", "Deny", "Pass", "Log")


def _other(rng: Random, options: tuple, current: object) -> object:
    choices = [o for o in options if o != current]
    return rng.choice(choices)


def _add_to_list(spec: dict, field: str, value: object) -> Ops:
    if spec.get(field):
        return [{"op": "add", "path": f"/spec/{field}/-", "value": value}]
    return [{"op": "add", "path": f"/spec/{field}", "value": [value]}]


def _ensure_type(spec: dict, field: str, policy_type: str) -> Ops:
    if policy_type in spec.get(field, ()):
        return []
    return _add_to_list(spec, field, policy_type)


def relabel(rng: Random, obj: dict) -> Ops:
    """A new owner label: metadata only, the spec (and generation) stay as they are."""
    labels = obj["metadata"].get("labels")
    if not labels:
        return [{"op": "add", "path": "/metadata/labels", "value": {"owner": rng.choice(OWNERS)}}]
    owner = _other(rng, OWNERS, labels.get("owner"))
    return [{"op": "add", "path": "/metadata/labels/owner", "value": owner}]


# --- Calico policies (GlobalNetworkPolicy, NetworkPolicy, StagedNetworkPolicy) ----------------


def reorder(rng: Random, obj: dict) -> Ops:
    order = obj["spec"].get("order", 1000)
    delta = rng.choice((-50, -10, -5, 5, 10, 25, 100))
    return [
        {
            "op": "replace" if "order" in obj["spec"] else "add",
            "path": "/spec/order",
            "value": max(1, order + delta),
        }
    ]


def _add_rule(rng: Random, obj: dict, direction: str, rules: Sequence[dict], types_field: str) -> Ops:
    """Append one of ``rules`` to spec.<direction> and make sure the policy's types name it."""
    spec = obj["spec"]
    return _add_to_list(spec, direction, dict(rng.choice(rules))) + _ensure_type(
        spec, types_field, direction.capitalize()
    )


def calico_ingress(rng: Random, obj: dict) -> Ops:
    return _add_rule(rng, obj, "ingress", CALICO_INGRESS, "types")


def calico_egress(rng: Random, obj: dict) -> Ops:
    return _add_rule(rng, obj, "egress", CALICO_EGRESS, "types")


def _rule_lists(spec: dict) -> list[str]:
    return [field for field in ("ingress", "egress") if spec.get(field)]


def remove_rule(rng: Random, obj: dict) -> Ops:
    spec = obj["spec"]
    crowded = [field for field in _rule_lists(spec) if len(spec[field]) > 1]
    if not crowded:
        return calico_ingress(rng, obj) if "types" in spec else k8s_ingress(rng, obj)
    field = rng.choice(crowded)
    return [{"op": "remove", "path": f"/spec/{field}/{rng.randrange(len(spec[field]))}"}]


def change_action(rng: Random, obj: dict) -> Ops:
    spec = obj["spec"]
    fields = _rule_lists(spec)
    if not fields:
        return calico_ingress(rng, obj)
    field = rng.choice(fields)
    index = rng.randrange(len(spec[field]))
    action = _other(rng, ACTIONS, spec[field][index].get("action"))
    return [{"op": "replace", "path": f"/spec/{field}/{index}/action", "value": action}]


def change_ports(rng: Random, obj: dict) -> Ops:
    spec = obj["spec"]
    fields = _rule_lists(spec)
    if not fields:
        return calico_ingress(rng, obj)
    field = rng.choice(fields)
    index = rng.randrange(len(spec[field]))
    rule = spec[field][index]
    ports = sorted(rng.sample(PORTS, rng.choice((1, 1, 2))))
    ops = (
        []
        if "protocol" in rule
        else [{"op": "add", "path": f"/spec/{field}/{index}/protocol", "value": "TCP"}]
    )
    if "destination" not in rule:
        return ops + [{"op": "add", "path": f"/spec/{field}/{index}/destination", "value": {"ports": ports}}]
    if rule["destination"].get("ports") == ports:
        ports = ports + [rng.choice([p for p in PORTS if p not in ports])]
    return ops + [{"op": "add", "path": f"/spec/{field}/{index}/destination/ports", "value": ports}]


def add_source_net(rng: Random, obj: dict) -> Ops:
    spec = obj["spec"]
    if not spec.get("ingress"):
        return calico_ingress(rng, obj)
    index = rng.randrange(len(spec["ingress"]))
    source = spec["ingress"][index].get("source", {})
    free = [n for n in NETS if n not in source.get("nets", ())]
    if len(free) < 5:  # enough nets on this rule already
        return change_ports(rng, obj)
    net = rng.choice(free)
    base = f"/spec/ingress/{index}/source"
    if "source" not in spec["ingress"][index]:
        return [{"op": "add", "path": base, "value": {"nets": [net]}}]
    if "nets" in source:
        return [{"op": "add", "path": f"{base}/nets/-", "value": net}]
    return [{"op": "add", "path": f"{base}/nets", "value": [net]}]


def change_selector(rng: Random, obj: dict) -> Ops:
    current = obj["spec"].get("selector")
    app = rng.choice(CALICO_APPS)
    options = (f"app == '{app}'", f"app in {{'{app}', 'canary-{app}'}}", f"app == '{app}' && tier != 'debug'")
    selector = _other(rng, options, current)
    return [{"op": "replace" if current is not None else "add", "path": "/spec/selector", "value": selector}]


CALICO_POLICY_MUTATIONS: tuple[Mutation, ...] = (
    reorder,
    calico_ingress,
    calico_egress,
    remove_rule,
    change_action,
    change_ports,
    add_source_net,
    change_selector,
    relabel,
)


# --- Kubernetes NetworkPolicy ------------------------------------------------------------------


def k8s_ingress(rng: Random, obj: dict) -> Ops:
    return _add_rule(rng, obj, "ingress", K8S_INGRESS, "policyTypes")


def k8s_egress(rng: Random, obj: dict) -> Ops:
    return _add_rule(rng, obj, "egress", K8S_EGRESS, "policyTypes")


def k8s_ports(rng: Random, obj: dict) -> Ops:
    spec = obj["spec"]
    if not spec.get("ingress"):
        return k8s_ingress(rng, obj)
    index = rng.randrange(len(spec["ingress"]))
    current = spec["ingress"][index].get("ports")
    ports = [{"protocol": "TCP", "port": p} for p in sorted(rng.sample(PORTS, rng.choice((1, 1, 2))))]
    if ports == current:
        ports.append({"protocol": "TCP", "port": 8081})
    return [{"op": "add", "path": f"/spec/ingress/{index}/ports", "value": ports}]


def k8s_pod_selector(rng: Random, obj: dict) -> Ops:
    labels = obj["spec"]["podSelector"].get("matchLabels", {})
    app = _other(rng, CALICO_APPS, labels.get("app"))
    if "matchLabels" not in obj["spec"]["podSelector"]:
        return [{"op": "add", "path": "/spec/podSelector/matchLabels", "value": {"app": app}}]
    return [{"op": "add", "path": "/spec/podSelector/matchLabels/app", "value": app}]


K8S_POLICY_MUTATIONS: tuple[Mutation, ...] = (
    k8s_ingress,
    k8s_ingress,
    k8s_egress,
    remove_rule,
    k8s_ports,
    k8s_ports,
    k8s_pod_selector,
    relabel,
)


# --- network sets and tiers ---------------------------------------------------------------------


def add_net(rng: Random, obj: dict) -> Ops:
    nets = obj["spec"].get("nets", [])
    free = [n for n in NETS if n not in nets]
    if len(nets) >= 6 or not free:
        return [{"op": "remove", "path": f"/spec/nets/{rng.randrange(len(nets))}"}]
    return _add_to_list(obj["spec"], "nets", rng.choice(free))


def remove_net(rng: Random, obj: dict) -> Ops:
    nets = obj["spec"].get("nets", [])
    if len(nets) < 2:
        return add_net(rng, obj)
    return [{"op": "remove", "path": f"/spec/nets/{rng.randrange(len(nets))}"}]


def add_domain(rng: Random, obj: dict) -> Ops:
    domains = obj["spec"].get("allowedEgressDomains", [])
    free = [d for d in DOMAINS if d not in domains]
    if not free:
        return [{"op": "remove", "path": f"/spec/allowedEgressDomains/{rng.randrange(len(domains))}"}]
    return _add_to_list(obj["spec"], "allowedEgressDomains", rng.choice(free))


def tier_order(rng: Random, obj: dict) -> Ops:
    order = obj["spec"].get("order", 1000)
    return [{"op": "replace", "path": "/spec/order", "value": max(1, order + rng.choice((-50, -25, 25, 50)))}]


def tier_default_action(rng: Random, obj: dict) -> Ops:
    current = obj["spec"].get("defaultAction")
    return [{"op": "add", "path": "/spec/defaultAction", "value": "Pass" if current == "Deny" else "Deny"}]


NETWORKSET_MUTATIONS: tuple[Mutation, ...] = (add_net, add_net, remove_net, relabel)
GLOBAL_NETWORKSET_MUTATIONS: tuple[Mutation, ...] = (add_net, add_net, remove_net, add_domain, relabel)
TIER_MUTATIONS: tuple[Mutation, ...] = (tier_order, tier_order, tier_default_action)

"""Who talks to the API server: people, CI, controllers, kubelets, workloads and strangers."""

from __future__ import annotations

from dataclasses import dataclass, field
from random import Random

from auditui.events.simulator.ids import uuid4

KUBECTL = "kubectl/v1.31.2 (linux/amd64) kubernetes/5864a46"
KUBECTL_MAC = "kubectl/v1.30.4 (darwin/arm64) kubernetes/a51b3b7"
KUBE_VERSION = "v1.31.2 (linux/amd64) kubernetes/5864a46"
AUTHENTICATED = ("system:authenticated",)


@dataclass(frozen=True)
class Actor:
    """A client identity as the audit log records it, plus where it calls from."""

    key: str
    username: str
    groups: tuple[str, ...]
    agent: str
    ips: tuple[str, ...]
    uid: str = ""
    reason: str = ""  # why RBAC lets it in, for authorization.k8s.io/reason
    namespaces: tuple[str, ...] = field(default=())  # where a person works; () = everywhere

    def user(self) -> dict:
        user = {"username": self.username}
        if self.uid:
            user["uid"] = self.uid
        user["groups"] = list(self.groups)
        return user


def _binding_reason(kind: str, binding: str, role_kind: str, role: str, subject: str) -> str:
    return f'RBAC: allowed by {kind} "{binding}" of {role_kind} "{role}" to {subject}'


def _person(
    rng: Random,
    key: str,
    username: str,
    groups: tuple[str, ...],
    ip: str,
    agent: str,
    role: str,
    namespaces: tuple[str, ...] = (),
) -> Actor:
    group = groups[0]
    reason = _binding_reason("ClusterRoleBinding", f"{group}-{role}", "ClusterRole", role, f'Group "{group}"')
    return Actor(key, username, groups + AUTHENTICATED, agent, (ip,), uuid4(rng), reason, namespaces)


def people(rng: Random) -> dict[str, Actor]:
    """The humans (and the CI robot acting for them) whose changes show up in the changelog."""
    ci_user = "system:serviceaccount:ci:deployer"
    ci_reason = _binding_reason(
        "ClusterRoleBinding", "ci-deployer", "ClusterRole", "deployer", 'ServiceAccount "ci/deployer"'
    )
    return {
        "alice": _person(
            rng,
            "alice",
            "alice@example.com",
            ("developers",),
            "10.20.1.15",
            KUBECTL,
            "edit",
            ("payments", "checkout"),
        ),
        "bob": _person(
            rng,
            "bob",
            "bob@example.com",
            ("developers",),
            "10.20.1.42",
            KUBECTL_MAC,
            "edit",
            ("frontend", "checkout"),
        ),
        "carol": _person(rng, "carol", "carol@example.com", ("sre",), "10.20.4.7", KUBECTL, "cluster-admin"),
        "dave": _person(
            rng, "dave", "dave@example.com", ("security",), "10.20.6.21", KUBECTL_MAC, "network-admin"
        ),
        "ci": Actor(
            "ci",
            ci_user,
            ("system:serviceaccounts", "system:serviceaccounts:ci") + AUTHENTICATED,
            KUBECTL,
            ("10.42.7.18",),
            uuid4(rng),
            ci_reason,
            ("payments", "checkout", "frontend", "monitoring"),
        ),
    }


def controller(rng: Random, name: str, ip: str) -> Actor:
    """A kube-controller-manager loop, running under its own service account."""
    sa = f"system:serviceaccount:kube-system:{name}"
    role = f"system:controller:{name}"
    reason = _binding_reason(
        "ClusterRoleBinding", role, "ClusterRole", role, f'ServiceAccount "kube-system/{name}"'
    )
    agent = f"kube-controller-manager/{KUBE_VERSION}/{name}"
    return Actor(
        name,
        sa,
        ("system:serviceaccounts", "system:serviceaccounts:kube-system") + AUTHENTICATED,
        agent,
        (ip,),
        uuid4(rng),
        reason,
    )


def component(rng: Random, key: str, username: str, agent: str, ip: str) -> Actor:
    """A control-plane component with a user of its own (scheduler, controller manager)."""
    reason = _binding_reason("ClusterRoleBinding", username, "ClusterRole", username, f'User "{username}"')
    return Actor(key, username, AUTHENTICATED, agent, (ip,), uuid4(rng), reason)


def workload(rng: Random, namespace: str, sa: str, agent: str, ip: str) -> Actor:
    """A pod's service account (apps reading their config, operators, monitoring)."""
    username = f"system:serviceaccount:{namespace}:{sa}"
    reason = _binding_reason(
        "RoleBinding", f"{sa}/{namespace}", "Role", sa, f'ServiceAccount "{namespace}/{sa}"'
    )
    groups = ("system:serviceaccounts", f"system:serviceaccounts:{namespace}") + AUTHENTICATED
    return Actor(f"{namespace}/{sa}", username, groups, agent, (ip,), uuid4(rng), reason)


def kubelet(rng: Random, node: str, ip: str) -> Actor:
    # The Node authorizer, not RBAC, lets kubelets in; it leaves the reason empty.
    return Actor(
        node, f"system:node:{node}", ("system:nodes",) + AUTHENTICATED, f"kubelet/{KUBE_VERSION}", (ip,), ""
    )


ANONYMOUS_GROUPS = ("system:unauthenticated",)
SCANNER_AGENTS = (
    "curl/8.5.0",
    "Go-http-client/1.1",
    "python-requests/2.31.0",
    "Mozilla/5.0 zgrab/0.x",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36",
)
SCANNER_IPS = ("203.0.113.45", "203.0.113.77", "198.51.100.23", "198.51.100.190", "192.0.2.66")


def anonymous(agent: str, ip: str) -> Actor:
    reason = _binding_reason(
        "ClusterRoleBinding",
        "system:public-info-viewer",
        "ClusterRole",
        "system:public-info-viewer",
        'Group "system:unauthenticated"',
    )
    return Actor("anonymous", "system:anonymous", ANONYMOUS_GROUPS, agent, (ip,), "", reason)


def impersonated(actor: Actor) -> dict:
    """The ``impersonatedUser`` block for a request made with ``kubectl --as``."""
    return {"username": actor.username, "groups": list(actor.groups)}

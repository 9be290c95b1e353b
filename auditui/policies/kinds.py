"""The kinds the policy changelog follows (setting ``AUDITUI_POLICY_KINDS``), and how URL
resource names (kubectl's ``resource.group``, or the bare resource) map onto them."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

CALICO = "projectcalico.org"
K8S = "networking.k8s.io"
ANP = "policy.networking.k8s.io"


@dataclass(frozen=True)
class PolicyKind:
    resource: str
    group: str
    kind: str  # the object's ``kind``, for people
    namespaced: bool | None = None  # None: not known (a kind added through the setting)
    tiered: bool = False  # a Calico policy that belongs to a tier

    @property
    def qualified(self) -> str:
        """kubectl's ``resource.group``: the name in URLs and the API."""
        return f"{self.resource}.{self.group}" if self.group else self.resource

    @property
    def key(self) -> tuple[str, str]:
        """(api_group, resource), as the event store filters on them."""
        return (self.group, self.resource)


BUILTIN = (
    PolicyKind("networkpolicies", K8S, "NetworkPolicy", True),
    PolicyKind("networkpolicies", CALICO, "NetworkPolicy", True, tiered=True),
    PolicyKind("globalnetworkpolicies", CALICO, "GlobalNetworkPolicy", False, tiered=True),
    PolicyKind("stagednetworkpolicies", CALICO, "StagedNetworkPolicy", True, tiered=True),
    PolicyKind("stagedglobalnetworkpolicies", CALICO, "StagedGlobalNetworkPolicy", False, tiered=True),
    PolicyKind("stagedkubernetesnetworkpolicies", CALICO, "StagedKubernetesNetworkPolicy", True),
    PolicyKind("tiers", CALICO, "Tier", False),
    PolicyKind("networksets", CALICO, "NetworkSet", True),
    PolicyKind("globalnetworksets", CALICO, "GlobalNetworkSet", False),
    PolicyKind("hostendpoints", CALICO, "HostEndpoint", False),
    PolicyKind("adminnetworkpolicies", ANP, "AdminNetworkPolicy", False),
    PolicyKind("baselineadminnetworkpolicies", ANP, "BaselineAdminNetworkPolicy", False),
)
_BY_NAME = {k.qualified: k for k in BUILTIN}


def _parse(entry: str) -> list[PolicyKind]:
    entry = entry.strip()
    if entry == "default":
        return list(BUILTIN)
    if entry in _BY_NAME:
        return [_BY_NAME[entry]]
    resource, _, group = entry.partition(".")
    return [PolicyKind(resource, group, resource)]


def policy_kinds() -> tuple[PolicyKind, ...]:
    """The configured kinds; ``default`` in the setting stands for the built-in list."""
    seen: dict[str, PolicyKind] = {}
    for entry in settings.AUDITUI_POLICY_KINDS:
        for kind in _parse(entry):
            seen.setdefault(kind.qualified, kind)
    return tuple(seen.values())


def kind_for(group: str, resource: str) -> PolicyKind | None:
    return next((k for k in policy_kinds() if k.key == (group, resource)), None)


def resolve(text: str) -> list[PolicyKind]:
    """The kinds a URL's resource names: ``resource.group`` exactly, or every configured kind
    with that bare resource name (several when it is ambiguous, none when unknown)."""
    kinds = policy_kinds()
    exact = [k for k in kinds if k.qualified == text]
    return exact or [k for k in kinds if k.resource == text]


def tier_of(kind: PolicyKind, name: str, obj: dict | None) -> str:
    """A Calico policy's tier: ``spec.tier`` when known, else the ``tier.name`` convention."""
    if not kind.tiered:
        return ""
    spec = obj.get("spec") if isinstance(obj, dict) else None
    if isinstance(spec, dict) and isinstance(spec.get("tier"), str) and spec["tier"]:
        return spec["tier"]
    prefix, dot, _rest = name.partition(".")
    return prefix if dot else "default"


def followed_keys() -> list[tuple[str, str]]:
    """The configured kinds as ``(api_group, resource)``: what the per-object summary follows."""
    return [kind.key for kind in policy_kinds()]

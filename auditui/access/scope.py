"""The RBAC chokepoint: what a viewer may see, resolved once per request.

Every read of audit data takes a ``ViewerScope``; store backends translate it into their own
filter (``auditui.events.store``). A scope is a set of grants, each a list of cluster patterns
and a list of namespace patterns (``*`` and ``?`` wildcards). Namespace pattern ``*`` means the
whole cluster, including cluster-scoped objects (those without a namespace); any narrower
pattern only reaches namespaced objects.

The cluster ``auditui`` (``RESERVED_CLUSTER``) holds auditui's own audit trail: logins, exports,
uploads and changes to scopes and tokens. Wildcard cluster patterns (``*``, ``prod-*``) never
match it; only a grant that names it exactly does (superusers see everything).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from auditui.wildcards import shell_wildcard

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

RESERVED_CLUSTER = "auditui"


def is_reserved_cluster(name: str) -> bool:
    """The trail's cluster, in any case or padding: nobody may ingest into it by another spelling
    either (a viewer would take ``Auditui`` for the trail)."""
    return (name or "").strip().lower() == RESERVED_CLUSTER


class ReservedClusterError(ValueError):
    """Events from outside may not go into auditui's own trail: nobody can forge it."""

    def __init__(self, cluster: str) -> None:
        super().__init__(f"cluster {cluster!r} is reserved for auditui's own audit trail: choose another name")


def check_cluster_name(cluster: str) -> None:
    """For every way events come in from outside (ingest tokens, uploads, pull sources, files)."""
    if is_reserved_cluster(cluster):
        raise ReservedClusterError(cluster)


def is_wildcard(pattern: str) -> bool:
    return "*" in pattern or "?" in pattern


def cluster_matches(cluster: str, patterns: tuple[str, ...]) -> bool:
    """Whether a grant's cluster patterns cover ``cluster``; the reserved one only by its name."""
    if cluster == RESERVED_CLUSTER:
        return RESERVED_CLUSTER in patterns
    return any(_matches(cluster, p) for p in patterns)


def _matches(text: str, pattern: str) -> bool:
    # In linear time, and as the stores read a pattern: only * and ? are wildcards (fnmatch
    # also read [...] as a character class, which SQL and the search engines do not).
    return shell_wildcard(pattern).fullmatch(text)


@dataclass(frozen=True)
class Grant:
    clusters: tuple[str, ...]
    namespaces: tuple[str, ...]

    @property
    def cluster_wide(self) -> bool:
        return "*" in self.namespaces

    def allows(self, cluster: str, namespace: str) -> bool:
        if not cluster_matches(cluster, self.clusters):
            return False
        if self.cluster_wide:
            return True
        return bool(namespace) and any(_matches(namespace, p) for p in self.namespaces)


@dataclass(frozen=True)
class ViewerScope:
    """``everything`` for superusers; otherwise only what the grants allow (nothing if none)."""

    everything: bool = False
    grants: tuple[Grant, ...] = ()

    @classmethod
    def all(cls) -> ViewerScope:
        return cls(everything=True)

    @classmethod
    def nothing(cls) -> ViewerScope:
        return cls()

    @property
    def is_empty(self) -> bool:
        return not self.everything and not self.grants

    def allows(self, cluster: str, namespace: str) -> bool:
        return self.everything or any(g.allows(cluster, namespace) for g in self.grants)

    def allows_cluster_wide(self, cluster: str) -> bool:
        """May see cluster-scoped objects of this cluster (e.g. GlobalNetworkPolicies)."""
        return self.everything or any(
            g.cluster_wide and cluster_matches(cluster, g.clusters) for g in self.grants
        )


def split_patterns(text: str) -> tuple[str, ...]:
    """Comma- or newline-separated patterns, trimmed, without empties or duplicates."""
    seen: dict[str, None] = {}
    for part in re.split(r"[,\n]", text or ""):
        if part.strip():
            seen[part.strip()] = None
    return tuple(seen)


def scope_for(user: AbstractBaseUser | AnonymousUser | None) -> ViewerScope:
    """Resolve a user's scope from the Scope rows bound to them or to their groups."""
    if user is None or not user.is_authenticated or not user.is_active:
        return ViewerScope.nothing()
    if user.is_superuser:
        return ViewerScope.all()
    # in the function: auditui.access.models imports this module (cycle)
    from auditui.access.models import Scope

    rows = Scope.objects.for_user(user)
    grants = tuple(
        Grant(clusters=split_patterns(row.clusters), namespaces=split_patterns(row.namespaces)) for row in rows
    )
    return ViewerScope(grants=tuple(g for g in grants if g.clusters and g.namespaces))

"""What a user will see, said before they log in: their clusters and namespaces, and how much of
the event store and the policy changelog that is, computed through the same chokepoint as every
read (``scope_for`` and the store's ``count``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.utils import timezone

from auditui.access.scope import ViewerScope, scope_for
from auditui.events.store import EventQuery, StoreError, StoreUnavailable, get_store
from auditui.policies.selectors import changed_policies


@dataclass(frozen=True)
class ScopePreview:
    everything: bool
    clusters: tuple[str, ...]
    namespaces: tuple[str, ...]
    events_24h: int | None  # None: the store could not answer
    policies: int | None
    policies_truncated: bool = False

    @property
    def sees_nothing(self) -> bool:
        return not self.everything and not self.clusters

    def text(self) -> str:
        if self.sees_nothing:
            return "This user sees nothing: no scope grants them any cluster."
        if self.everything:
            where = "This user sees everything (superuser)"
        else:
            where = f"This user sees clusters {', '.join(self.clusters)}, namespaces {', '.join(self.namespaces)}"
        events = "?" if self.events_24h is None else f"{self.events_24h:,}"
        policies = "?" if self.policies is None else f"{self.policies}{'+' if self.policies_truncated else ''}"
        return f"{where}: {events} events in the last 24 h, {policies} policies."


def _unique(values: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


def preview_scope(scope: ViewerScope) -> ScopePreview:
    clusters = _unique([c for g in scope.grants for c in g.clusters])
    namespaces = _unique([n for g in scope.grants for n in g.namespaces])
    try:
        events = get_store().count(EventQuery(scope=scope, start=timezone.now() - timedelta(hours=24)))
    except (StoreError, StoreUnavailable):
        events = None
    policies, truncated = _policies(scope)
    return ScopePreview(scope.everything, clusters, namespaces, events, policies, truncated)


def _policies(scope: ViewerScope) -> tuple[int | None, bool]:
    """Every policy whose changelog the scope shows (the policies page's "all known" tab)."""
    try:
        found = changed_policies(scope, start=None, end=None)
    except (StoreError, StoreUnavailable):
        return None, False
    return len(found.rows), found.truncated


def preview_user(user: Any) -> ScopePreview:
    return preview_scope(scope_for(user))

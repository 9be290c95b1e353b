"""What a viewer's scope limits them to, said in words: the line on every page of a scoped viewer
and the explanation page (``/scope/``)."""

from __future__ import annotations

from dataclasses import dataclass

from auditui.access.scope import Grant, ViewerScope


def _list(items: tuple[str, ...]) -> str:
    return ", ".join(items)


def describe_grant(grant: Grant) -> str:
    """``namespace payments in every cluster``, ``all of clusters prod-*``."""
    if "*" in grant.clusters:
        where = "every cluster"
    else:
        where = f"cluster{'s' if len(grant.clusters) > 1 else ''} {_list(grant.clusters)}"
    if grant.cluster_wide:
        return where if where == "every cluster" else f"all of {where}"
    noun = "namespaces" if len(grant.namespaces) > 1 else "namespace"
    return f"{noun} {_list(grant.namespaces)} in {where}"


@dataclass(frozen=True)
class ScopeLimit:
    grants: tuple[str, ...]  # each grant in words; empty: the viewer sees nothing

    @property
    def sees_nothing(self) -> bool:
        return not self.grants

    @property
    def text(self) -> str:
        if self.sees_nothing:
            return "Your account has no access scope: you see no events"
        return "Your view is limited to " + "; ".join(self.grants)


def scope_limit(scope: ViewerScope) -> ScopeLimit | None:
    """None when nothing is hidden from the viewer (superusers)."""
    if scope.everything:
        return None
    return ScopeLimit(tuple(dict.fromkeys(describe_grant(g) for g in scope.grants)))

"""Writes to alert rules and templates (``<entity>_<action>``, keyword-only)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from alerts.events_face import record_trail
from alerts.models import AlertEvent, GlobalAlert, GlobalAlertTemplate
from alerts.selectors import visible_to
from auditui.access.scope import ViewerScope
from auditui.resources.registry import Outcome


def alert_apply(*, name: str, spec: dict[str, Any], user: Any = None) -> Outcome:
    """Create or update a rule from a cleaned spec. A changed rule is due at once (its new
    query may fire now); an unchanged one keeps its schedule and status."""
    now = timezone.now()
    alert = GlobalAlert.objects.filter(name=name).first()
    if alert is None:
        GlobalAlert.objects.create(name=name, spec=spec, created_at=now, updated_at=now, next_run_at=now)
        record_trail(verb="create", name=name, user=user, request_object=spec)
        return "created"
    if alert.spec == spec:
        return "unchanged"
    alert.spec, alert.updated_at, alert.next_run_at = spec, now, now
    alert.save(update_fields=["spec", "updated_at", "next_run_at"])
    record_trail(verb="update", name=name, user=user, request_object=spec)
    return "configured"


def alert_delete(*, name: str, user: Any = None) -> bool:
    deleted = GlobalAlert.objects.filter(name=name).delete()[0] > 0
    if deleted:
        record_trail(verb="delete", name=name, user=user)
    return deleted


def template_apply(*, name: str, spec: dict[str, Any], annotations: dict[str, str] | None = None) -> Outcome:
    """Create or update a template; its annotations are replaced by the document's, as kubectl
    apply replaces what the document says."""
    annotations = annotations or {}
    template = GlobalAlertTemplate.objects.filter(name=name).first()
    if template is None:
        GlobalAlertTemplate.objects.create(name=name, spec=spec, annotations=annotations)
        return "created"
    if template.spec == spec and template.annotations == annotations:
        return "unchanged"
    template.spec, template.annotations = spec, annotations
    template.save(update_fields=["spec", "annotations"])
    return "configured"


# What each action does: the states it applies to, and the state it leaves.
ACTIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "acknowledge": ((AlertEvent.State.NEW,), AlertEvent.State.ACKNOWLEDGED),
    "resolve": ((AlertEvent.State.NEW, AlertEvent.State.ACKNOWLEDGED), AlertEvent.State.RESOLVED),
    "dismiss": ((AlertEvent.State.NEW, AlertEvent.State.ACKNOWLEDGED, AlertEvent.State.RESOLVED),
                AlertEvent.State.DISMISSED),
}


def alert_events_act(*, scope: ViewerScope, user: Any, ids: Iterable[int], action: str) -> int:
    """Acknowledge, resolve or dismiss the alert events of ``ids`` the viewer sees (others are
    left alone, as if they did not exist); how many changed state."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}; use {', '.join(ACTIONS)}")
    wanted = {int(pk) for pk in ids}
    rows = AlertEvent.objects.filter(pk__in=wanted).values_list("pk", "pairs")
    allowed = [pk for pk, pairs in rows if visible_to(scope, pairs)]
    before, after = ACTIONS[action]
    return AlertEvent.objects.filter(pk__in=allowed, state__in=before).update(
        state=after, state_changed_at=timezone.now(), state_changed_by=user if getattr(user, "pk", None) else None)

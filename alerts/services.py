"""Writes to alert rules and templates (``<entity>_<action>``, keyword-only)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from alerts.events_face import record_trail
from alerts.models import GlobalAlert, GlobalAlertTemplate
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


def template_apply(*, name: str, spec: dict[str, Any]) -> Outcome:
    template = GlobalAlertTemplate.objects.filter(name=name).first()
    if template is None:
        GlobalAlertTemplate.objects.create(name=name, spec=spec)
        return "created"
    if template.spec == spec:
        return "unchanged"
    template.spec = spec
    template.save(update_fields=["spec"])
    return "configured"

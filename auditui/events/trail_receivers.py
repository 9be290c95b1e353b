"""The trail's signal receivers: logins, and every change to the models that decide who sees and
sends what (scopes, ingest and API tokens, drop rules, pull sources), from the admin and from
commands alike. Connected once by ``EventsConfig.ready()``.

They live on the events side because ``auditui.access`` does not import ``auditui.events``; the
access side announces logins (succeeded, failed or throttled) with its own signal.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.apps import apps
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.signals import user_logged_out
from django.db import models
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from rest_framework.authtoken.models import Token

from auditui.access.models import IngestToken, Scope
from auditui.access.signals import login_attempted
from auditui.events import trail
from auditui.events.models import DropRule, PullSource
from auditui.events.trail import Outcome

# Never written into the trail, whatever the model: token values and their hashes, passwords.
_SECRET_NAMES = frozenset({"key", "token_hash", "password"})
_SAFE_SUFFIXES = ("_env", "_file", "_path")  # names of where a secret is, not the secret


@dataclass(frozen=True)
class Tracked:
    """How one model appears in the trail: its ``objectRef.resource`` and how it is named."""

    resource: str
    name_field: str = "name"
    extra_fields: tuple[str, ...] = ()  # not editable, yet worth recording (an ingest token's prefix)
    m2m: tuple[str, ...] = ()

    def name_of(self, instance: models.Model) -> str:
        value = getattr(instance, self.name_field, "")
        return value.get_username() if hasattr(value, "get_username") else str(value or "")


@functools.cache
def _tracked_models() -> dict[type[models.Model], Tracked]:
    return {
        Scope: Tracked("scopes", m2m=("users", "groups")),
        IngestToken: Tracked("ingesttokens", name_field="prefix", extra_fields=("prefix",)),
        Token: Tracked("apitokens", name_field="user"),
        DropRule: Tracked("droprules"),
        PullSource: Tracked("pullsources"),
    }


def _is_secret(name: str) -> bool:
    if name.endswith(_SAFE_SUFFIXES):
        return False
    return name in _SECRET_NAMES or "password" in name or "secret" in name


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, models.Model):
        return value.get_username() if hasattr(value, "get_username") else str(value)
    if value is None or isinstance(value, str | int | float | bool | list | dict):
        return value
    return str(value)  # anything else a field may hold (a UUID, a Decimal) as its text


def snapshot(instance: models.Model, spec: Tracked) -> dict[str, Any]:
    """The fields a person sets (plus the spec's extras), secrets left out."""
    names = [f.name for f in instance._meta.concrete_fields if f.editable and not f.primary_key]
    fields = {}
    for name in (*names, *spec.extra_fields):
        if not _is_secret(name):
            fields[name] = _json_value(getattr(instance, name, None))
    for name in spec.m2m:
        if instance.pk is not None:
            related = getattr(instance, name).all()
            fields[name] = sorted(r.get_username() if hasattr(r, "get_username") else str(r) for r in related)
    return fields


def _object(instance: models.Model, spec: Tracked, fields: dict[str, Any]) -> dict[str, Any]:
    """A Kubernetes-shaped object, so that the changelog can diff its versions."""
    kind = (instance._meta.concrete_model or type(instance)).__name__
    return {"apiVersion": f"{trail.API_GROUP}/{trail.API_VERSION}", "kind": kind,
            "metadata": {"name": spec.name_of(instance)}, "spec": fields}


# --- model changes ---------------------------------------------------------------------------

def _spec(sender: type[models.Model]) -> Tracked | None:
    # Proxies (DRF's admin edits tokens as TokenProxy) send signals as themselves.
    return _tracked_models().get(sender._meta.concrete_model or sender)


def _before_save(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    spec = _spec(sender)
    if spec is None or instance._state.adding or kwargs.get("raw"):
        return
    old = sender._base_manager.filter(pk=instance.pk).first()
    instance._trail_before = snapshot(old, spec) if old is not None else None  # type: ignore[attr-defined]


def _after_save(sender: type[models.Model], instance: models.Model, created: bool, **kwargs: Any) -> None:
    spec = _spec(sender)
    if spec is None or kwargs.get("raw"):
        return
    after = snapshot(instance, spec)
    before = getattr(instance, "_trail_before", None)
    instance._trail_before = None  # type: ignore[attr-defined]
    if created or before is None:
        changed, verb = after, "create"
    else:
        changed = {k: v for k, v in after.items() if before.get(k) != v}
        verb = "update"
        if not changed:
            return  # bookkeeping only (e.g. a token's last use): nothing a person changed
    trail.record(verb=verb, resource=spec.resource, name=spec.name_of(instance), request_object=changed,
                 response_object=_object(instance, spec, after), after_commit=True)


def _after_delete(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    spec = _spec(sender)
    if spec is None:
        return
    # What was deleted, as it was (its many-to-many rows are already gone, so they are not read).
    fields = snapshot(instance, Tracked(spec.resource, spec.name_field, spec.extra_fields))
    trail.record(verb="delete", resource=spec.resource, name=spec.name_of(instance),
                 response_object=_object(instance, spec, fields), after_commit=True)


def _scope_members_changed(sender: Any, instance: models.Model, action: str, reverse: bool, model: Any,
                           pk_set: set | None, **kwargs: Any) -> None:
    """Users or groups added to or removed from a scope, from either side of the relation."""
    field = "users" if sender is Scope.users.through else "groups"
    if action == "pre_clear":
        # Who is about to be removed: after the clear, nothing says.
        if reverse:
            cleared = {s.pk: [_member_name(instance)] for s in instance.audit_scopes.all()}  # type: ignore[attr-defined]
        else:
            cleared = {instance.pk: [_member_name(m) for m in getattr(instance, field).all()]}
        instance._trail_cleared = cleared  # type: ignore[attr-defined]
        return
    if action == "post_clear":
        changes = getattr(instance, "_trail_cleared", {})
    elif action in ("post_add", "post_remove"):
        if reverse:
            changes = {pk: [_member_name(instance)] for pk in pk_set or ()}
        else:
            changes = {instance.pk: [_member_name(m) for m in model.objects.filter(pk__in=pk_set or ())]}
    else:
        return
    change = "added" if action == "post_add" else "removed"
    spec = _tracked_models()[Scope]
    for scope in Scope.objects.filter(pk__in=[pk for pk, names in changes.items() if names]):
        trail.record(verb="update", resource=spec.resource, name=scope.name,
                     request_object={field: {change: sorted(changes[scope.pk])}},
                     response_object=_object(scope, spec, snapshot(scope, spec)), after_commit=True)


def _member_name(member: Any) -> str:
    return member.get_username() if hasattr(member, "get_username") else str(member)


# --- sessions --------------------------------------------------------------------------------

def _login_attempted(sender: Any, request: Any, username: str, user: Any, code: int, message: str,
                     **kwargs: Any) -> None:
    if request is None:
        return
    name = user.get_username() if user is not None else username[:150]
    trail.record(verb="login", resource="sessions", name=name, request=request, user=user or AnonymousUser(),
                 outcome=Outcome(code, message), request_object={"username": username[:150]})


def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if request is not None and user is not None:
        trail.record(verb="logout", resource="sessions", name=user.get_username(), request=request, user=user)


def connect() -> None:
    tracked = [m for m in apps.get_models() if m._meta.concrete_model in _tracked_models()]
    for model in tracked:
        uid = f"auditui-trail-{model._meta.label_lower}"
        pre_save.connect(_before_save, sender=model, dispatch_uid=f"{uid}-pre")
        post_save.connect(_after_save, sender=model, dispatch_uid=f"{uid}-post")
        post_delete.connect(_after_delete, sender=model, dispatch_uid=f"{uid}-delete")
    for through in (Scope.users.through, Scope.groups.through):
        m2m_changed.connect(_scope_members_changed, sender=through, dispatch_uid=f"auditui-trail-{through.__name__}")
    user_logged_out.connect(_logged_out, dispatch_uid="auditui-trail-logout")
    login_attempted.connect(_login_attempted, dispatch_uid="auditui-trail-login")

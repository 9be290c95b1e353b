"""The policy changelog API: ``GET /api/v1/policies`` and
``GET /api/v1/policies/{resource}/{namespace or -}/{name}/changelog``."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from auditui.access.scope import scope_for
from auditui.events import safe_json
from auditui.events.viewer_time import iso_micro
from auditui.policies import diff as structural
from auditui.policies import params, selectors
from auditui.policies.history import Attempt, Change, Changelog, Snapshot
from auditui.policies.presenters import history_path

LIST_PARAMS = [
    OpenApiParameter("changed_within", str, description="a duration: 1h, 24h (default), 7d, 30d"),
    OpenApiParameter("start", str, description="ISO 8601 or now-7d (instead of changed_within)"),
    OpenApiParameter("end", str, description="ISO 8601 or relative; default now"),
    OpenApiParameter("cluster", str, many=True, description="only these clusters (repeatable)"),
    OpenApiParameter("kind", str, many=True,
                     description="resource.group, e.g. globalnetworkpolicies.projectcalico.org"),
    OpenApiParameter("namespace", str), OpenApiParameter("user", str, description="changed by this user"),
    OpenApiParameter("q", str, description="free text: name, namespace, kind, tier, user"),
    OpenApiParameter("known", bool, description="every policy that ever changed, whatever the window"),
]
CHANGE = inline_serializer("PolicyChange", {
    "time": serializers.DateTimeField(), "verb": serializers.CharField(), "user": serializers.CharField(),
    "impersonated_user": serializers.CharField(), "groups": serializers.ListField(child=serializers.CharField()),
    "source_ips": serializers.ListField(child=serializers.CharField()), "user_agent": serializers.CharField(),
    "audit_id": serializers.CharField(), "event_id": serializers.JSONField(), "event_url": serializers.URLField(),
    "life": serializers.IntegerField(), "uid": serializers.CharField(),
    "object": serializers.DictField(allow_null=True), "source": serializers.CharField(),
    "diff": serializers.ListField(child=serializers.DictField(), allow_null=True),
    "note": serializers.CharField(),
})
ATTEMPT = inline_serializer("PolicyFailedAttempt", {
    "time": serializers.DateTimeField(), "verb": serializers.CharField(), "user": serializers.CharField(),
    "code": serializers.IntegerField(allow_null=True), "reason": serializers.CharField(),
    "message": serializers.CharField(), "audit_id": serializers.CharField(),
})


class PoliciesApiView(APIView):
    # Bad parameters (ParamError) and StoreErrors answer 400 (auditui.api_errors).
    store_errors_are_bad_requests = True


def _event_url(request: Request, record) -> str | None:
    return request.build_absolute_uri(reverse("events:detail", args=[record.id])) if record.id is not None else None


class PolicyListView(PoliciesApiView):
    @extend_schema(
        summary="Policies changed in a time window (or all known policies), newest change first",
        parameters=LIST_PARAMS, responses=OpenApiTypes.OBJECT,
    )
    def get(self, request: Request) -> Response:
        query = request.query_params
        window = params.parse_window(query)
        known = query.get("known", "").lower() in ("1", "true", "yes")
        start, end = (None, None) if known else (window.start, window.end)
        result = selectors.changed_policies(scope_for(request.user), start=start, end=end,
                                            filters=params.parse_filters(query))
        return Response({
            "start": iso_micro(start) if start else None, "end": iso_micro(end) if end else None,
            "count": len(result.rows), "truncated": result.truncated,
            "results": [policy_json(row, request) for row in result.rows],
        })


def policy_json(row: selectors.PolicyRow, request: Request) -> dict:
    ref = row.ref
    changelog = reverse("api-policy-changelog", args=[row.kind.qualified, ref.namespace or "-", ref.name])
    return {
        "cluster": row.cluster, "resource": row.kind.qualified, "kind": row.kind.kind, "tier": row.tier,
        "namespace": row.namespace, "name": row.name, "changes": row.changes,
        "last_change": iso_micro(row.last_time), "last_user": row.last_user, "last_verb": row.last_verb,
        "state": "exists" if row.exists else "deleted",
        "changelog_url": request.build_absolute_uri(f"{changelog}?cluster={row.cluster}"),
        "page_url": request.build_absolute_uri(f"{history_path(row.kind, ref)}?cluster={row.cluster}"),
    }


class ChangelogView(PoliciesApiView):
    @extend_schema(
        summary="Every change of one policy, oldest first, with who, when, from where and the diff",
        parameters=[
            OpenApiParameter("cluster", str, description="needed when the object exists in several clusters"),
            OpenApiParameter("at", str, description="ISO 8601: answer the object as it was at that instant"),
            OpenApiParameter("start", str, description="only changes received from then (ISO 8601 or now-24h)"),
            OpenApiParameter("end", str, description="only changes received before then"),
            OpenApiParameter("noise", bool, description="include managedFields, resourceVersion… in diffs"),
        ],
        responses={200: inline_serializer("PolicyChangelog", {
            "object": serializers.DictField(), "changes": serializers.ListField(child=CHANGE),
            "failed_attempts": serializers.ListField(child=ATTEMPT),
        })},
    )
    def get(self, request: Request, resource: str, namespace: str, name: str) -> Response:
        scope = scope_for(request.user)
        lookup = selectors.find_policy(scope, resource, namespace, name, request.query_params.get("cluster", ""))
        if lookup.ref is None:
            if len(lookup.candidates) > 1:
                choices = [{"cluster": c.cluster, "resource": c.kind.qualified} for c in lookup.candidates]
                return Response({"error": "several objects match: give cluster= and resource.group",
                                 "choices": choices}, status=400)
            return Response({"error": "no such policy"}, status=404)
        start, end = params.parse_changelog_window(request.query_params)
        log = selectors.policy_changelog(scope, lookup.ref, start=start, end=end)
        head = {"cluster": lookup.ref.cluster, "resource": lookup.kind.qualified, "kind": lookup.kind.kind,
                "namespace": lookup.ref.namespace, "name": lookup.ref.name, "exists": log.exists}
        at = request.query_params.get("at", "").strip()
        if at:
            return Response(safe_json.writable({"object": head, **snapshot_json(log.at(params.parse_instant(at)))}))
        noise = request.query_params.get("noise", "").lower() in ("1", "true", "yes")
        # Versions are evidence anyone could write: what JSON cannot carry comes back as a marker.
        return Response(safe_json.writable(changelog_json(log, head, request, noise=noise)))


def changelog_json(log: Changelog, head: dict, request: Request | None = None, *, noise: bool = False) -> dict:
    lives = {life.number: life for life in log.lives}
    return {
        "object": head,
        "changes": [change_json(c, lives[c.life].uid, request, noise=noise) for c in log.changes],
        "failed_attempts": [attempt_json(a) for a in log.attempts],
    }


def change_json(change: Change, uid: str, request: Request | None, *, noise: bool) -> dict:
    record = change.record
    changed = None
    if change.diffable:
        before = None if change.is_create else change.before
        changed = [c.as_dict() for c in structural.diff(before, change.after, noise=noise)]
    return {
        "time": iso_micro(record.time), "verb": record.verb, "user": record.username,
        "impersonated_user": record.impersonated_user, "groups": record.user_groups,
        "source_ips": record.source_ips, "user_agent": record.user_agent, "audit_id": record.audit_id,
        "event_id": record.id, "event_url": _event_url(request, record) if request else None,
        "life": change.life, "uid": uid, "object": change.after, "source": change.source,
        "diff": changed, "note": change.note,
    }


def attempt_json(attempt: Attempt) -> dict:
    record = attempt.record
    return {
        "time": iso_micro(record.time), "verb": record.verb, "user": record.username,
        "source_ips": record.source_ips, "user_agent": record.user_agent, "code": attempt.code,
        "reason": attempt.reason, "message": attempt.message, "audit_id": record.audit_id, "event_id": record.id,
    }


def snapshot_json(snapshot: Snapshot) -> dict:
    change = snapshot.change
    return {
        "at": iso_micro(snapshot.at), "state": snapshot.state, "version": snapshot.object, "note": snapshot.note,
        "since": None if change is None else {"time": iso_micro(change.time), "verb": change.verb,
                                              "user": change.record.username, "audit_id": change.record.audit_id},
    }

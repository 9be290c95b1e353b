"""The alerts API: rules and templates (CRUD, YAML or JSON bodies, checked by the same kind
handlers as ``manage.py apply`` so both give the same errors) and the inbox (``alert-events``)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.db import transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from alerts import selectors, services
from alerts.models import AlertEvent
from alerts.presenters import matching_href
from alerts.resources import GlobalAlertKind, GlobalAlertTemplateKind
from auditui.access.scope import scope_for
from auditui.resources.documents import DocumentError, read_documents
from auditui.resources.registry import API_VERSION, KindHandler, ResourceInvalid

WRITE_PERMISSION = "alerts.change_globalalert"
OBJECT = OpenApiTypes.OBJECT
MAX_IDS = 1000  # per bulk action


def _invalid(field: str, message: str) -> Response:
    return Response({"error": message, "field": field}, status=400)


def _document(request: Request, handler: KindHandler, name: str | None) -> dict[str, Any]:
    """The one document of the body (YAML or JSON), its kind and name checked."""
    try:
        documents = read_documents(request.body.decode("utf-8"), "body")
    except (DocumentError, UnicodeDecodeError) as exc:
        raise ResourceInvalid("", str(exc)) from exc
    if len(documents) != 1 or not isinstance(documents[0].body, dict):
        raise ResourceInvalid("", f"send one {handler.kind} document")
    body = documents[0].body
    if body.get("apiVersion") != API_VERSION:
        raise ResourceInvalid("apiVersion", f"must be {API_VERSION} (got {body.get('apiVersion')!r})")
    if body.get("kind") != handler.kind:
        raise ResourceInvalid("kind", f"must be {handler.kind} (got {body.get('kind')!r})")
    given = (body.get("metadata") or {}).get("name") if isinstance(body.get("metadata"), dict) else None
    if not isinstance(given, str) or not given:
        raise ResourceInvalid("metadata.name", "required: the name this resource is known by")
    if name is not None and given != name:
        raise ResourceInvalid("metadata.name", f"must be {name!r}, the name in the URL")
    return body


class _KindView(APIView):
    handler: KindHandler

    def check_write(self, request: Request) -> None:
        if not request.user.has_perm(WRITE_PERMISSION):
            raise PermissionDenied(f"writing alert rules needs the permission {WRITE_PERMISSION}")

    def save(self, request: Request, name: str | None) -> Response:
        self.check_write(request)
        try:
            body = _document(request, self.handler, name)
            cleaned = self.handler.validate(body)
        except ResourceInvalid as exc:
            return _invalid(exc.field, exc.message)
        with transaction.atomic():
            outcome = self.handler.apply(cleaned, user=request.user)
        document = self.handler.documents(body["metadata"]["name"])[0]
        return Response(document, status=201 if outcome == "created" else 200)


class KindListView(_KindView):
    @extend_schema(summary="The rules (or templates) as projectcalico.org/v3 documents, with status",
                   responses=OBJECT)
    def get(self, request: Request) -> Response:
        return Response({"apiVersion": "v1", "kind": "List", "items": self.handler.documents()})

    @extend_schema(summary="Create or update one from a YAML or JSON document", request=OBJECT, responses=OBJECT)
    def post(self, request: Request) -> Response:
        return self.save(request, None)


class KindDetailView(_KindView):
    @extend_schema(summary="One, with its status", responses=OBJECT)
    def get(self, request: Request, name: str) -> Response:
        found = self.handler.documents(name)
        return Response(found[0]) if found else Response({"error": f"{self.handler.plural} {name!r} not found"},
                                                         status=404)

    @extend_schema(summary="Create or replace it from a YAML or JSON document", request=OBJECT, responses=OBJECT)
    def put(self, request: Request, name: str) -> Response:
        return self.save(request, name)

    @extend_schema(summary="Delete it", responses={204: None})
    def delete(self, request: Request, name: str) -> Response:
        self.check_write(request)
        with transaction.atomic():
            deleted = self.handler.delete(name, user=request.user)
        return Response(status=204) if deleted else Response({"error": f"{self.handler.plural} {name!r} not found"},
                                                             status=404)


class GlobalAlertListView(KindListView):
    handler = GlobalAlertKind()


class GlobalAlertDetailView(KindDetailView):
    handler = GlobalAlertKind()


class TemplateListView(KindListView):
    handler = GlobalAlertTemplateKind()


class TemplateDetailView(KindDetailView):
    handler = GlobalAlertTemplateKind()


def event_json(event: AlertEvent) -> dict[str, Any]:
    return {
        "id": event.pk, "alert": event.alert.name, "kind": event.kind, "severity": event.severity,
        "time": event.time.isoformat(), "lastSeen": event.last_seen.isoformat(), "ongoing": event.ongoing,
        "description": event.description, "keys": event.keys, "count": event.count, "value": event.value,
        "auditIDs": event.audit_ids, "pairs": event.pairs, "state": event.state,
        "stateChangedAt": event.state_changed_at.isoformat() if event.state_changed_at else None,
        "stateChangedBy": event.state_changed_by.get_username() if event.state_changed_by else None,
        "matchingEvents": matching_href(event),
    }


class AlertEventListView(APIView):
    @extend_schema(
        summary="The alert events you may see, newest first",
        parameters=[OpenApiParameter(name, str) for name in
                    ("alert", "severity", "cluster", "namespace", "state", "start", "end", "page_size", "cursor")],
        responses=OBJECT,
    )
    def get(self, request: Request) -> Response:
        try:
            filters = selectors.parse_filters(request.query_params)
            size = int(request.query_params.get("page_size") or 50)
            offset = int(request.query_params.get("cursor") or 0)
        except selectors.FilterError as exc:
            return _invalid(exc.field, exc.message)
        except ValueError:
            return _invalid("page_size", "page_size and cursor are whole numbers")
        if not 1 <= size <= selectors.MAX_PAGE_SIZE or offset < 0:
            return _invalid("page_size", f"page_size from 1 to {selectors.MAX_PAGE_SIZE}, cursor from 0")
        page = selectors.alert_event_page(scope=scope_for(request.user), filters=filters, offset=offset, limit=size)
        next_url = None
        if page.next_offset is not None:
            params = {**request.query_params.dict(), "cursor": str(page.next_offset)}
            next_url = request.build_absolute_uri(f"{request.path}?{urlencode(params)}")
        return Response({"count": page.count, "results": [event_json(e) for e in page.events], "next": next_url})


class AlertEventActionView(APIView):
    """``POST /api/v1/alert-events/{action}`` with ``{"ids": [...]}``, or on one event's URL."""

    @extend_schema(summary="Acknowledge, resolve or dismiss alert events", request=OBJECT, responses=OBJECT)
    def post(self, request: Request, action: str, event_id: int | None = None) -> Response:
        data = request.data if isinstance(request.data, dict) else {}
        ids = [event_id] if event_id is not None else data.get("ids", [])
        if not isinstance(ids, list) or not all(isinstance(pk, int) for pk in ids) or len(ids) > MAX_IDS:
            return _invalid("ids", f"a list of at most {MAX_IDS} alert event ids")
        try:
            changed = services.alert_events_act(scope=scope_for(request.user), user=request.user, ids=ids,
                                                action=action)
        except ValueError as exc:
            return _invalid("action", str(exc))
        return Response({"action": action, "changed": changed})

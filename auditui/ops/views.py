"""``/status/`` (staff), ``GET /api/v1/status`` (staff, token or session) and ``/readyz``."""

from __future__ import annotations

from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from auditui.ops import selectors


@staff_member_required
def status_page(request: HttpRequest) -> HttpResponse:
    report = selectors.system_status()
    return render(request, "ops/status.html", {"report": report})


class StatusView(APIView):
    permission_classes = [IsAdminUser]

    @extend_schema(summary="System status for monitoring: every section with ok, summary and details")
    def get(self, request: Request) -> Response:
        return Response(selectors.status_json(selectors.system_status()))


def readyz(request: HttpRequest) -> JsonResponse:
    """503 when the database or the event store cannot answer (a load balancer stops sending)."""
    checks = selectors.readiness()
    ready = all(ok for ok, _ in checks.values())
    body = {"status": "ready" if ready else "not ready",
            "checks": {name: {"ok": ok, "detail": detail} for name, (ok, detail) in checks.items()}}
    return JsonResponse(body, status=200 if ready else 503)

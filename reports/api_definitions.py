"""``/api/v1/globalreports``: GlobalReport definitions as ``projectcalico.org/v3`` JSON (CRUD).

Reading needs ``reports.view_globalreport``; creating, replacing and deleting the add, change and
delete permissions (Calico's ``globalreports: *``). Bodies are the same documents ``apply`` takes."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import DjangoModelPermissions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from auditui.resources.registry import ResourceInvalid
from reports import services
from reports.models import GlobalReport
from reports.presenters import report_document
from reports.validation import clean_report


class ReportDefinitionPermissions(DjangoModelPermissions):
    # Reading definitions is a permission too (DjangoModelPermissions lets any GET through).
    perms_map = {**DjangoModelPermissions.perms_map, "GET": ["%(app_label)s.view_%(model_name)s"]}


class DefinitionView(APIView):
    permission_classes = [ReportDefinitionPermissions]
    queryset = GlobalReport.objects.all()

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, ResourceInvalid):
            return Response({"error": str(exc), "field": exc.field}, status=400)
        return super().handle_exception(exc)

    def _clean(self, body: Any, name: str | None = None) -> Any:
        if not isinstance(body, dict):
            raise ResourceInvalid("", "expected a GlobalReport document (an object)")
        if body.get("kind", "GlobalReport") != "GlobalReport":
            raise ResourceInvalid("kind", "must be GlobalReport")
        if name is not None and (body.get("metadata") or {}).get("name") not in (None, name):
            raise ResourceInvalid("metadata.name", f"must be {name!r}, the name in the URL")
        if name is not None:
            body = {**body, "metadata": {**(body.get("metadata") or {}), "name": name}}
        cleaned = clean_report(body)
        services.check_report_type(cleaned.spec["reportType"])
        return cleaned


@extend_schema(tags=["reports"])
class GlobalReportListView(DefinitionView):
    @extend_schema(operation_id="globalreports_list", responses=OpenApiTypes.OBJECT,
                   summary="GlobalReports as a projectcalico.org/v3 GlobalReportList")
    def get(self, request: Request) -> Response:
        items = [report_document(report) for report in GlobalReport.objects.order_by("name")]
        return Response({"apiVersion": "projectcalico.org/v3", "kind": "GlobalReportList", "items": items})

    @extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT,
                   summary="Create a GlobalReport from its projectcalico.org/v3 document")
    def post(self, request: Request) -> Response:
        cleaned = self._clean(request.data)
        if GlobalReport.objects.filter(name=cleaned.name).exists():
            return Response({"error": f'globalreports "{cleaned.name}" already exists'}, status=409)
        services.globalreport_apply(cleaned=cleaned, user=request.user)
        return Response(report_document(GlobalReport.objects.get(name=cleaned.name)), status=201)


@extend_schema(tags=["reports"])
class GlobalReportDetailView(DefinitionView):
    @extend_schema(responses=OpenApiTypes.OBJECT, summary="One GlobalReport with its status")
    def get(self, request: Request, name: str) -> Response:
        report = GlobalReport.objects.filter(name=name).first()
        if report is None:
            return Response({"error": f'globalreports "{name}" not found'}, status=404)
        return Response(report_document(report))

    @extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT,
                   summary="Create or replace a GlobalReport")
    def put(self, request: Request, name: str) -> Response:
        cleaned = self._clean(request.data, name)
        outcome = services.globalreport_apply(cleaned=cleaned, user=request.user)
        return Response(report_document(GlobalReport.objects.get(name=name)),
                        status=201 if outcome == "created" else 200)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, name: str) -> Response:
        if not services.globalreport_delete(name=name, user=request.user):
            return Response({"error": f'globalreports "{name}" not found'}, status=404)
        return Response(status=204)

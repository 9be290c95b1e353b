"""``/api/v1/reports`` and ``/api/v1/reports/{id}/download``: the compliance server's API
(reference §3.6), with its separate permissions and the viewer's scope."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from auditui.access.scope import scope_for
from reports import access
from reports.downloads import UnknownFormat, download
from reports.events_face import record_download
from reports.models import ReportRun, rfc3339
from reports.selectors import ParamError, ReportFilters, generated_reports, parse_time

MAX_ITEMS = 100


def _page_params(request: Request) -> tuple[int, int | None]:
    try:
        page = int(request.query_params.get("page", "0"))
    except ValueError as exc:
        raise ParamError("page", "must be a whole number") from exc
    text = request.query_params.get("maxItems", str(MAX_ITEMS))
    if text == "all":
        return max(page, 0), None
    try:
        size = int(text)
    except ValueError as exc:
        raise ParamError("maxItems", "must be a whole number or all") from exc
    if not 1 <= size <= MAX_ITEMS:
        raise ParamError("maxItems", f"must be from 1 to {MAX_ITEMS}, or all")
    return max(page, 0), size


def report_json(request: Request, run: ReportRun, summary: dict[str, Any] | None, downloadable: bool) -> dict:
    url = request.build_absolute_uri(reverse("api-report-download", args=[run.calico_id]))
    return {
        "id": run.calico_id, "name": run.report_name, "type": run.report_type,
        "startTime": rfc3339(run.start), "endTime": rfc3339(run.end),
        "uiSummary": summary, "downloadUrl": url if downloadable else "",
        "downloadFormats": list(run.formats) if downloadable else [],
        "generationTime": rfc3339(run.completed_at) if run.completed_at else None,
    }


class ReportsApiView(APIView):
    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, ParamError):
            return Response({"error": str(exc), "param": exc.param}, status=400)
        return super().handle_exception(exc)


@extend_schema(tags=["reports"], parameters=[
    OpenApiParameter("reportTypeName", str), OpenApiParameter("reportName", str),
    OpenApiParameter("fromTime", str, description="RFC 3339: reports whose interval ends after it"),
    OpenApiParameter("toTime", str, description="RFC 3339: reports whose interval starts before it"),
    OpenApiParameter("page", int, description="from 0"), OpenApiParameter("maxItems", str, description="1-100 or all"),
], responses=OpenApiTypes.OBJECT, summary="Generated reports, as Calico's compliance server lists them")
class ReportListView(ReportsApiView):
    def get(self, request: Request) -> Response:
        if not access.can_list(request.user):
            return Response({"error": "you may not list reports (needs reports.list_reports)"}, status=403)
        params = request.query_params
        filters = ReportFilters(report_type=params.get("reportTypeName", ""), report_name=params.get("reportName", ""),
                                from_time=parse_time(params.get("fromTime"), "fromTime"),
                                to_time=parse_time(params.get("toTime"), "toTime"))
        page, size = _page_params(request)
        runs = generated_reports(filters)
        scope = scope_for(request.user)
        see, fetch = access.can_see_summary(request.user), access.can_download(request.user)
        visible = access.visible_runs(runs, scope)
        chosen = visible if size is None else visible[page * size:(page + 1) * size]
        reports = [report_json(request, run, access.summary_for(run, scope) if see else None, fetch)
                   for run in chosen]
        return Response({"reports": reports, "page": page, "count": visible.count()})


@extend_schema(tags=["reports"], parameters=[
    OpenApiParameter("format", str, many=True, description="a download format, e.g. summary.csv; several: a zip"),
], responses={(200, "text/plain"): bytes, (200, "application/zip"): bytes})
class ReportDownloadView(ReportsApiView):
    def get(self, request: Request, report_id: str) -> HttpResponse:
        if not access.can_download(request.user):
            return Response({"error": "you may not download reports (needs reports.download_report)"}, status=403)
        scope = scope_for(request.user)
        run = ReportRun.objects.filter(calico_id=report_id, state=ReportRun.SUCCEEDED).first()
        if run is None or scope.is_empty:  # a viewer who sees nothing is not told what exists
            return Response({"error": f"no report {report_id!r}"}, status=404)
        formats = request.query_params.getlist("format")
        try:
            result = download(run, formats, scope)
        except UnknownFormat as exc:
            return Response({"error": str(exc), "param": "format"}, status=400)
        except access.CannotCut as exc:
            return Response({"error": str(exc)}, status=403)
        record_download(request, report_id=run.calico_id, formats=formats or list(run.formats))
        response = HttpResponse(result.body, content_type=result.content_type)
        response["Content-Disposition"] = f'attachment; filename="{result.file_name}"'
        return response

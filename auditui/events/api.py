"""The events API: search, histogram, top values, one event and exports (``/api/v1/events…``)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.http import StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from auditui.access.scope import scope_for
from auditui.events import export, search, trail
from auditui.events.representation import record_json
from auditui.events.store import get_store
from auditui.params import ParamError

MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 50

SEARCH_PARAMS = [
    OpenApiParameter("query", str, description='query language, e.g. verb=delete AND "objectRef.namespace"=payments'),
    OpenApiParameter("start", str, description="ISO 8601 or relative (now-24h); default now-24h"),
    OpenApiParameter("end", str, description="ISO 8601 or relative; default now"),
    OpenApiParameter("cluster", str, many=True, description="only these clusters (repeatable)"),
]


def _int_param(request: Request, name: str, default: int, maximum: int) -> int:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= maximum:
        raise ParamError(name, f"{name} must be a whole number from 1 to {maximum}")
    return int(raw)


def query_from_request(request: Request):
    """(EventQuery, TimeRange) from the standard parameters; raises SearchError naming the parameter."""
    params = request.query_params
    time_range = search.parse_range(params.get("start"), params.get("end"))
    q = search.build_query(scope_for(request.user), query=params.get("query"), time_range=time_range,
                           clusters=tuple(params.getlist("cluster")))
    return q, time_range


class EventsApiView(APIView):
    # Bad parameters (ParamError, SearchError) and StoreErrors answer 400 (auditui.api_errors).
    store_errors_are_bad_requests = True


class EventListView(EventsApiView):
    @extend_schema(
        summary="Search audit events, newest first",
        parameters=[*SEARCH_PARAMS, OpenApiParameter("page_size", int), OpenApiParameter("cursor", str)],
        responses=inline_serializer("EventPage", {
            "count": serializers.IntegerField(), "next": serializers.URLField(allow_null=True),
            "results": serializers.ListField(child=serializers.DictField()),
        }),
    )
    def get(self, request: Request) -> Response:
        q, time_range = query_from_request(request)
        page_size = _int_param(request, "page_size", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        # The page and the count in one read: one pass over the matches where the store can.
        view = get_store().page_view(q, interval=search.whole_range_interval(time_range), page_size=page_size,
                                     cursor=request.query_params.get("cursor") or None)
        page = view.page
        next_url = None
        if page.next_cursor:
            params = request.query_params.copy()
            params["cursor"] = page.next_cursor
            next_url = request.build_absolute_uri(f"{request.path}?{urlencode(params, doseq=True)}")
        return Response({
            "count": view.total,
            "next": next_url,
            "results": [record_json(r, request) for r in page.records],
        })


class EventDetailView(EventsApiView):
    @extend_schema(summary="One audit event", responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, event_id: str) -> Response:
        record = get_store().get(scope_for(request.user), event_id)
        if record is None:
            return Response({"error": "no such event"}, status=404)
        return Response(record_json(record, request))


class HistogramView(EventsApiView):
    @extend_schema(
        summary="Matching events per time bucket",
        parameters=[*SEARCH_PARAMS, OpenApiParameter("interval", str, description="30s, 5m, 1h, 1d or auto")],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request: Request) -> Response:
        q, time_range = query_from_request(request)
        interval = search.resolve_interval(request.query_params.get("interval"), time_range)
        buckets = get_store().histogram(q, interval=interval)
        return Response({
            "start": time_range.start.isoformat(), "end": time_range.end.isoformat(),
            "interval": search.interval_label(interval), "interval_seconds": int(interval.total_seconds()),
            "total": sum(b.count for b in buckets),
            "buckets": [{"start": b.start.isoformat(), "count": b.count} for b in buckets],
        })


class TopValuesView(EventsApiView):
    @extend_schema(
        summary="The most frequent values of a field among matching events",
        parameters=[*SEARCH_PARAMS, OpenApiParameter("limit", int)],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request: Request, field: str) -> Response:
        q, _range = query_from_request(request)
        limit = _int_param(request, "limit", 10, 100)
        top = search.top_values(q, field, limit)
        return Response({
            "field": top.field, "total": top.total, "other": top.other,
            "values": [{"value": v.keys[0], "count": v.count} for v in top.values],
        })


class ExportView(EventsApiView):
    """``GET /api/v1/events/export?format=csv|json&columns=…``: the current search, streamed."""

    @extend_schema(
        summary="Export matching events as CSV or JSON (streamed, capped at AUDITUI_EXPORT_MAX_ROWS)",
        parameters=[*SEARCH_PARAMS, OpenApiParameter("format", str, enum=["csv", "json"]),
                    OpenApiParameter("columns", str, description="comma-separated fields for CSV")],
        responses={(200, "text/csv"): OpenApiTypes.STR, (200, "application/json"): OpenApiTypes.OBJECT},
    )
    def get(self, request: Request):
        q, _range = query_from_request(request)
        fmt = request.query_params.get("format", "csv")
        if fmt not in ("csv", "json"):
            raise ParamError("format", "format must be csv or json")
        try:
            columns = export.parse_columns(request.query_params.get("columns", ""))
        except export.ColumnsError as exc:
            raise ParamError("columns", str(exc)) from exc
        cap = export.export_cap()
        total = get_store().count(q)
        records = export.iter_records(q, cap, page_seconds=settings.AUDITUI_QUERY_TIMEOUT_S)
        if fmt == "csv":
            body, content_type = export.csv_lines(records, columns or export.DEFAULT_COLUMNS), "text/csv"
        else:
            body, content_type = export.json_chunks(records), "application/json"
        response = StreamingHttpResponse(body, content_type=f"{content_type}; charset=utf-8")
        stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
        file_name = f"auditui-events-{stamp}.{fmt}"
        trail.record_export(request, file_name=file_name, query=q, rows=min(total, cap), total=total,
                            columns=columns)
        response["Content-Disposition"] = f'attachment; filename="{file_name}"'
        response["X-Export-Total"] = str(total)
        response["X-Export-Rows"] = str(min(total, cap))
        response["X-Export-Truncated"] = "true" if total > cap else "false"
        return response

"""``GET /api/v1/endpoints``: the pods that existed at an instant and match a Calico selector."""

from __future__ import annotations

from urllib.parse import urlencode

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from auditui.access.scope import scope_for
from auditui.state import selectors
from auditui.state.params import endpoint_filters

ENDPOINT = inline_serializer("Endpoint", {
    "cluster": serializers.CharField(), "namespace": serializers.CharField(), "name": serializers.CharField(),
    "labels": serializers.DictField(child=serializers.CharField()), "serviceAccount": serializers.CharField(),
    "ingressProtected": serializers.BooleanField(), "egressProtected": serializers.BooleanField(),
    "appliedPolicies": serializers.ListField(child=serializers.CharField()),
})


class EndpointListView(APIView):
    @extend_schema(
        summary="Pods that existed at an instant and match a Calico selector, with the policies applied",
        parameters=[
            OpenApiParameter("cluster", str, description="required unless you see one cluster only"),
            OpenApiParameter("at", str, description="ISO 8601 or now-7d; default now"),
            OpenApiParameter("selector", str, description="a Calico selector, e.g. app == 'web' && has(tier)"),
            OpenApiParameter("namespace", str), OpenApiParameter("serviceAccount", str),
            OpenApiParameter("page_size", int, description="1 to 1000, default 50"),
            OpenApiParameter("cursor", str),
        ],
        responses=inline_serializer("EndpointPage", {
            "count": serializers.IntegerField(), "next": serializers.URLField(allow_null=True),
            "results": serializers.ListField(child=ENDPOINT),
        }),
    )
    def get(self, request: Request) -> Response:
        scope = scope_for(request.user)
        filters = endpoint_filters(request.query_params, selectors.visible_clusters(scope))
        page = selectors.endpoint_list(
            scope=scope, cluster=filters.cluster, at=filters.at, selector=filters.selector,
            namespace=filters.namespace, service_account=filters.service_account,
            offset=filters.offset, limit=filters.page_size,
        )
        next_url = None
        if page.next_offset is not None:
            params = request.query_params.copy()
            params["cursor"] = str(page.next_offset)
            next_url = request.build_absolute_uri(f"{request.path}?{urlencode(params, doseq=True)}")
        return Response({"count": page.count, "results": [r.as_json() for r in page.rows], "next": next_url})

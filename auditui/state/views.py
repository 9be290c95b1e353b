"""Pages: the endpoints at an instant (``/endpoints/``) and one pod's applied policies over time."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from auditui.access.scope import scope_for
from auditui.state import selectors
from auditui.state.params import ParamError, endpoint_filters
from auditui.state.timeline import pod_timeline


@require_GET
@login_required
def endpoint_list(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request.user)
    clusters = selectors.visible_clusters(scope)
    params = request.GET.copy()
    if not params.get("cluster") and clusters:
        params["cluster"] = clusters[0]
    context: dict = {"clusters": clusters, "params": params, "scope_empty": scope.is_empty, "page": None}
    if not clusters:  # nothing to show (nothing ingested, or nothing granted): no form error either
        return render(request, "state/endpoints.html", context)
    try:
        filters = endpoint_filters(params, clusters)
    except ParamError as exc:
        context["error"] = exc
        return render(request, "state/endpoints.html", context, status=400)
    page = selectors.endpoint_list(
        scope=scope, cluster=filters.cluster, at=filters.at, selector=filters.selector,
        namespace=filters.namespace, service_account=filters.service_account,
        offset=filters.offset, limit=filters.page_size,
    )
    context.update(filters=filters, page=page, completeness=page.completeness,
                   api_href="/api/v1/endpoints?" + urlencode({k: v for k, v in params.items() if v}))
    if page.next_offset is not None:
        params["cursor"] = str(page.next_offset)
        context["next_href"] = "?" + params.urlencode()
    return render(request, "state/endpoints.html", context)


@require_GET
@login_required
def endpoint_detail(request: HttpRequest, cluster: str, namespace: str, name: str) -> HttpResponse:
    scope = scope_for(request.user)
    if not scope.allows(cluster, namespace):
        raise Http404("no such endpoint")
    try:
        filters = endpoint_filters({**request.GET.dict(), "cluster": cluster}, [cluster])
    except ParamError as exc:
        return render(request, "state/endpoint.html", {"error": exc, "name": name}, status=400)
    timeline = pod_timeline(cluster=cluster, namespace=namespace, name=name, at=filters.at,
                            include_staged=selectors.include_staged())
    if timeline.result is None:
        raise Http404("that pod did not exist at that instant")
    return render(request, "state/endpoint.html", {
        "cluster": cluster, "name": name, "at": filters.at, "timeline": timeline, "endpoint": timeline.result.endpoint,
        "flags": timeline.result.flags,
    })

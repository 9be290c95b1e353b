"""Pages: the changed / known policies list and one policy's history (``/policies/…``)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from auditui.access.scope import scope_for
from auditui.events.viewer_time import from_local_inputs
from auditui.policies import history_page, list_page, selectors


@require_GET
@login_required
def policy_list(request: HttpRequest) -> HttpResponse:
    if "start_local" in request.GET or "end_local" in request.GET:
        return redirect(_custom_range_url(request))
    scope = scope_for(request.user)
    page = list_page.build(scope, request.GET)
    return render(request, "policies/list.html", {"page": page, "scope_empty": scope.is_empty})


def _custom_range_url(request: HttpRequest) -> str:
    """The custom-range form sends times in the viewer's zone; URLs keep them in UTC."""
    query = request.GET.copy()
    for name, value in from_local_inputs(query).items():
        query[name] = value  # replaces (QueryDict.update would add a second value)
    for name in ("start", "end"):
        query.pop(f"{name}_local", None)
    query.pop("changed_within", None)
    return reverse("policies:list") + "?" + query.urlencode()


@require_GET
@login_required
def policy_history(request: HttpRequest, resource: str, namespace: str, name: str) -> HttpResponse:
    if request.GET.get("at_local"):
        query = request.GET.copy()
        query["at"] = from_local_inputs(query, ("at",))["at"]
        query.pop("at_local")
        return redirect(f"{request.path}?{query.urlencode()}#as-it-was")
    scope = scope_for(request.user)
    lookup = selectors.find_policy(scope, resource, namespace, name, request.GET.get("cluster", "").strip())
    if lookup.ref is None:
        if len(lookup.candidates) > 1:
            return _ambiguous(request, lookup, namespace, name)
        # Out of scope and unknown look the same, so nothing leaks about other teams' policies.
        raise Http404("No such policy")
    return render(request, "policies/history.html", history_page.build(scope, lookup, request.GET).context())


def _ambiguous(request: HttpRequest, lookup: selectors.Lookup, namespace: str, name: str) -> HttpResponse:
    choices = [
        {"cluster": c.cluster, "kind": c.kind,
         "href": reverse("policies:history", args=[c.kind.qualified, namespace, name]) + "?"
         + urlencode({"cluster": c.cluster})}
        for c in lookup.candidates
    ]
    return render(request, "policies/ambiguous.html",
                  {"choices": choices, "name": name, "namespace": "" if namespace == "-" else namespace}, status=300)

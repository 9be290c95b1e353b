"""The events search page, its small fragments, and saved searches (own ones only)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from auditui.access.scope import scope_for
from auditui.events import safe_json, search, search_page, selectors, services
from auditui.events.normalize import AuditRecord
from auditui.events.search_page import SearchState
from auditui.events.store import get_store
from auditui.events.viewer_time import from_local_inputs

# The syntax popover's examples (tests check that each parses).
SYNTAX_EXAMPLES = (
    ('verb=delete AND "objectRef.resource"=pods', "deleted pods"),
    ('"user.username"="system:serviceaccount:*"', "any service account (wildcards * and ?)"),
    ('verb IN {"create","update","patch"}', "one of several values"),
    ('"objectRef.namespace" NOTIN {"kube-*"}', "none of several values"),
    ('"responseStatus.code" >= 400', "failed requests (also = != < <= >)"),
    ('NOT "objectRef.namespace" EMPTY', "namespaced objects only"),
    ('(verb=create OR verb=delete) AND "objectRef.namespace"=payments', "parentheses group"),
    ('"annotations.authorization.k8s.io/decision"=forbid', "quoted keys may contain dots"),
    ('requestObject.spec.containers.securityContext.privileged=true', "paths into the written object"),
    ("kube-system", "free text: user, namespace, name, resource, verb, URI, user agent"),
)


def _events_url(querystring: str = "") -> str:
    url = reverse("events:list")
    return f"{url}?{querystring}" if querystring else url


def _custom_range_redirect(request: HttpRequest) -> HttpResponse | None:
    """The custom-range form sends times in the viewer's zone; the URL keeps them in UTC."""
    if "start_local" not in request.GET and "end_local" not in request.GET:
        return None
    state = SearchState.from_params(request.GET)
    times = from_local_inputs(request.GET)
    return redirect(_events_url(state.querystring(start=times.get("start") or state.start,
                                                  end=times.get("end") or state.end)))


@require_GET
@login_required
def events_search(request: HttpRequest) -> HttpResponse:
    redirect_to = _custom_range_redirect(request)
    if redirect_to is not None:
        return redirect_to
    state, scope = SearchState.from_params(request.GET), scope_for(request.user)
    page = search_page.build_search_page(scope, state)
    if page.error is not None and page.error.param == "cursor":
        # A stale or mangled "Older" link: start again from the newest events.
        messages.warning(request, "That page of results is no longer valid; showing the newest events.")
        return redirect(_events_url(state.querystring(cursor="")))
    timed_out = page.error is not None and page.error.param == search_page.TIMEOUT_PARAM
    return render(request, "events/search.html", {
        "page": page,
        "state": state,
        "scope_empty": scope.is_empty,
        "saved_searches": selectors.saved_search_list(request.user),
        "syntax_examples": SYNTAX_EXAMPLES,
    }, status=503 if timed_out else 200)


@require_GET
@login_required
def field_values(request: HttpRequest, field: str) -> HttpResponse:
    """Top values of one sidebar field for the page state: a fragment for search.js, or a small
    page of its own when followed without JavaScript."""
    if field not in search.SIDEBAR_FIELDS:
        raise Http404("Not a sidebar field")
    state = SearchState.from_params(request.GET)
    try:
        q, _range = search_page.build_event_query(scope_for(request.user), state)
    except search.SearchError as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
    fetched = request.headers.get("X-Requested-With") == "fetch"
    return render(request, "events/_search_field_values.html", {
        "field": search_page.field_summary(
            state, field, search_page.top_values(search_page.sidebar_sample(q), field)
        ),
        "frame": "events/_search_fragment.html" if fetched else "base.html",
        "standalone": not fetched,
        "back_href": state.href(),
    })


def _record_or_404(request: HttpRequest, event_id: str) -> AuditRecord:
    record = get_store().get(scope_for(request.user), event_id)
    if record is None:
        raise Http404("No such event")
    return record


@require_GET
@login_required
def event_expand(request: HttpRequest, event_id: str) -> HttpResponse:
    """The expanded row of the results table: indexed fields with filters, and the whole event."""
    record = _record_or_404(request, event_id)
    state = SearchState.from_params(request.GET)
    return render(request, "events/_search_expand.html", {
        "event": record,
        "fields": search_page.expanded_fields(state, record),
        "raw_json": safe_json.pretty(record.raw),
        "around_href": _events_url(search_page.around_querystring(record)),
    })


@require_GET
@login_required
def event_around(request: HttpRequest, event_id: str) -> HttpResponse:
    """Events of the same cluster within five minutes of this one, on the search page."""
    return redirect(_events_url(search_page.around_querystring(_record_or_404(request, event_id))))


class SavedSearchForm(forms.Form):
    name = forms.CharField(max_length=100, strip=True)
    params = forms.CharField(required=False)


@require_POST
@login_required
def saved_search_create(request: HttpRequest) -> HttpResponse:
    form = SavedSearchForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the search a name (at most 100 characters).")
        return redirect(_events_url(request.POST.get("params", "")))
    saved = services.saved_search_save(owner=request.user, name=form.cleaned_data["name"],
                                       params=QueryDict(form.cleaned_data["params"]))
    messages.success(request, f"Saved search “{saved.name}”.")
    return redirect(_events_url(saved.params))


@require_GET
@login_required
def saved_search_open(request: HttpRequest, pk: int) -> HttpResponse:
    saved = selectors.saved_search_get(request.user, pk)
    return redirect(_events_url(saved.params))


@require_POST
@login_required
def saved_search_delete(request: HttpRequest, pk: int) -> HttpResponse:
    saved = selectors.saved_search_get(request.user, pk)
    services.saved_search_delete(saved)
    messages.success(request, f"Deleted saved search “{saved.name}”.")
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(back)
    return redirect("events:list")

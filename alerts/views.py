"""Pages: the alert inbox (``/alerts/``), one rule's page, and the inbox's actions."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

import yaml
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from alerts import editor, selectors, services
from alerts.backtest import backtest
from alerts.models import AlertEvent, GlobalAlert, GlobalAlertTemplate
from alerts.presenters import event_rows, firings_by_day
from alerts.resources import GlobalAlertKind
from auditui.access.scope import ViewerScope, scope_for
from auditui.events.store import StoreError, StoreUnavailable, get_store

PAGE_SIZE = 50
BACKTEST_DAYS = 7
BACKTEST_SHOWN = 200


@require_GET
@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request.user)
    context: dict = {"params": request.GET, "states": AlertEvent.State.values,
                     "alerts": GlobalAlert.objects.values_list("name", flat=True)}
    try:
        filters = selectors.parse_filters(request.GET)
        offset = max(0, int(request.GET.get("offset") or 0))
    except (selectors.FilterError, ValueError) as exc:
        context["error"] = exc
        return render(request, "alerts/inbox.html", context, status=400)
    page = selectors.alert_event_page(scope=scope, filters=filters, offset=offset, limit=PAGE_SIZE)
    context.update(page=page, rows=event_rows(page.events), scope_empty=scope.is_empty,
                   here=request.get_full_path())
    if page.next_offset is not None:
        context["next_href"] = "?" + urlencode({**filters.as_params(), "offset": page.next_offset})
    return render(request, "alerts/inbox.html", context)


@require_POST
@login_required
def act(request: HttpRequest) -> HttpResponse:
    """Acknowledge, resolve or dismiss the ticked alert events (one or many)."""
    action = request.POST.get("action", "")
    ids = [int(pk) for pk in request.POST.getlist("ids") if pk.isdigit()]
    try:
        changed = services.alert_events_act(scope=scope_for(request.user), user=request.user, ids=ids, action=action)
    except ValueError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{action}: {changed} alert event{'s' if changed != 1 else ''} changed")
    back = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()})
    return HttpResponseRedirect(back if back and safe else "/alerts/")


@require_GET
@login_required
def alert_detail(request: HttpRequest, name: str) -> HttpResponse:
    alert = GlobalAlert.objects.filter(name=name).first()
    if alert is None:
        raise Http404("no such alert")
    scope = scope_for(request.user)
    ids = selectors.visible_ids(scope=scope, filters=selectors.InboxFilters(alert=name))
    recent = list(AlertEvent.objects.select_related("alert").filter(pk__in=ids[:20]).order_by("-time", "-id"))
    times = selectors.alert_event_times(scope=scope, alert=name)
    context = {
        "alert": alert, "status": alert.status(), "rows": event_rows(recent), "count": len(ids),
        "definition": yaml.safe_dump(GlobalAlertKind().documents(name)[0], sort_keys=False),
        "chart": firings_by_day(times, days=14, now=timezone.now()),
        "can_change": request.user.has_perm("alerts.change_globalalert"),
    }
    if request.GET.get("backtest"):
        context["backtest"] = _backtest(alert, scope)
    return render(request, "alerts/detail.html", context)


def _backtest(alert: GlobalAlert, scope: ViewerScope) -> dict:
    """"Test this rule on the last 7 days": what would have fired, of what the viewer may see."""
    end = timezone.now()
    start = end - timedelta(days=BACKTEST_DAYS)
    try:
        fired = [f for f in backtest(alert.name, alert.rule, get_store(), start=start, end=end)
                 if selectors.visible_to(scope, f.pairs)]
    except (StoreError, StoreUnavailable) as exc:
        return {"error": str(exc)}
    return {"start": start, "end": end, "count": len(fired), "shown": fired[:BACKTEST_SHOWN]}


def _require_writer(request: HttpRequest) -> None:
    if not request.user.has_perm("alerts.change_globalalert"):
        raise PermissionDenied("writing alert rules needs the permission alerts.change_globalalert")


@require_GET
@login_required
def rule_editor(request: HttpRequest, name: str = "") -> HttpResponse:
    """A new rule (blank or "from template"), or an existing one, with a live check."""
    _require_writer(request)
    if name and not GlobalAlert.objects.filter(name=name).exists():
        raise Http404("no such alert")
    template = GlobalAlertTemplate.objects.filter(name=request.GET.get("template", "")).first()
    text = editor.starting_text(template_spec=template.spec if template else None, name=name)
    return render(request, "alerts/editor.html", {
        "text": text, "name": name, "templates": GlobalAlertTemplate.objects.values_list("name", flat=True),
        "chosen": template.name if template else "",
        "check": editor.rule_check(text, scope=scope_for(request.user)),
    })


@require_POST
@login_required
def rule_check(request: HttpRequest) -> HttpResponse:
    """The check's fragment, for the editor's script (and its "Check" button)."""
    _require_writer(request)
    check = editor.rule_check(request.POST.get("text", ""), scope=scope_for(request.user))
    return render(request, "alerts/_check.html", {"check": check})


@require_POST
@login_required
def rule_save(request: HttpRequest) -> HttpResponse:
    _require_writer(request)
    text = request.POST.get("text", "")
    check = editor.rule_check(text, scope=scope_for(request.user), preview=False)
    if not check.ok or check.rule is None:
        return render(request, "alerts/editor.html", {
            "text": text, "templates": GlobalAlertTemplate.objects.values_list("name", flat=True), "check": check,
        }, status=400)
    outcome = services.alert_apply(name=check.name, spec=check.rule.spec, user=request.user)
    messages.success(request, f"globalalert/{check.name} {outcome}")
    return HttpResponseRedirect(reverse("alerts:alert", args=[check.name]))

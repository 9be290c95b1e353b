"""The detection pack's page (``/alerts/pack/``): each template with its rationale, MITRE techniques
and what it would have raised over the 7 days before its stored replay among the events the viewer
may see, and "install" for one, several or all of them as GlobalAlerts.

The figures are read from the stored replays (``alerts.pack_backtests``): no event store is asked
while the page is served; a template without a current result is queued for a worker."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from alerts.models import GlobalAlert
from alerts.pack import PREFIX, pack_install, pack_templates
from alerts.pack_backtests import PACK_DAYS, REFRESH, pack_backtests_queue, pack_entries
from auditui.access.scope import scope_for


@require_GET
@login_required
def pack(request: HttpRequest) -> HttpResponse:
    # Templates never computed, or changed since: queued now (each claimed, so once at a time).
    pack_backtests_queue(now=timezone.now(), missing_only=True)
    installed = GlobalAlert.objects.filter(name__startswith=PREFIX).values_list("name", flat=True)
    scope = scope_for(request.user)
    entries = pack_entries(scope=scope, installed=installed)
    return render(request, "alerts/pack.html", {
        "entries": entries, "days": PACK_DAYS, "refresh_minutes": int(REFRESH.total_seconds() // 60),
        "pending": sum(1 for e in entries if e.would_fire is None), "scope_empty": scope.is_empty,
        "can_change": request.user.has_perm("alerts.change_globalalert"),
    })


@require_POST
@login_required
def pack_install_view(request: HttpRequest) -> HttpResponse:
    """Install the ticked templates (``names``), or all of them (``all``), as GlobalAlerts."""
    if not request.user.has_perm("alerts.change_globalalert"):
        raise PermissionDenied("installing alert rules needs the permission alerts.change_globalalert")
    if request.POST.get("all"):
        names = list(pack_templates().values_list("name", flat=True))
    else:
        names = request.POST.getlist("names")
    outcomes = pack_install(names=names, user=request.user)
    if outcomes:
        messages.success(request, "; ".join(f"globalalert/{name} {outcome}" for name, outcome in outcomes.items()))
    else:
        messages.error(request, "tick at least one template of the pack")
    return HttpResponseRedirect(reverse("alerts:pack"))

"""The detection pack's page (``/alerts/pack/``): each template with its rationale, MITRE techniques
and what it would have raised over the last 7 days among the events the viewer may see, and
"install" for one, several or all of them as GlobalAlerts."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from alerts.models import GlobalAlert
from alerts.pack import pack_entries, pack_install, pack_templates
from alerts.views import BACKTEST_DAYS
from auditui.access.scope import scope_for
from auditui.events.store import StoreError, StoreUnavailable, get_store


@require_GET
@login_required
def pack(request: HttpRequest) -> HttpResponse:
    end = timezone.now()
    start = end - timedelta(days=BACKTEST_DAYS)
    installed = GlobalAlert.objects.filter(name__startswith="k8s.").values_list("name", flat=True)
    scope = scope_for(request.user)
    error = ""
    try:
        entries = pack_entries(get_store(), scope=scope, start=start, end=end, installed=installed)
    except (StoreError, StoreUnavailable) as exc:
        error = f"the last 7 days could not be replayed: {exc}"
        entries = pack_entries(None, scope=scope, start=start, end=end, installed=installed)
    return render(request, "alerts/pack.html", {
        "entries": entries, "start": start, "end": end, "error": error, "scope_empty": scope.is_empty,
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

"""Pages: the compliance page (``/reports/``), one report's detail, and "run now"."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from auditui.access.scope import scope_for
from reports import access
from reports.editor import EditorError, definition_save, definition_text
from reports.mailing import SubscriptionRefused, subscription_create, subscription_delete, subscription_from_token
from reports.models import GlobalReport, ReportRun
from reports.page import report_detail, reports_page
from reports.runs import report_run_now
from reports.selectors import ParamError
from reports.services import globalreport_delete


@require_GET
@login_required
def report_list(request: HttpRequest) -> HttpResponse:
    if not access.can_list(request.user):
        raise PermissionDenied("listing reports needs the permission reports.list_reports")
    try:
        page = reports_page(user=request.user, scope=scope_for(request.user), params=request.GET.dict())
    except ParamError as exc:
        return render(request, "reports/list.html", {"error": exc}, status=400)
    return render(request, "reports/list.html", {"page": page})


@require_GET
@login_required
def report_detail_page(request: HttpRequest, report_id: str) -> HttpResponse:
    if not access.can_see_summary(request.user):
        raise PermissionDenied("a report's summary needs the permission reports.view_globalreport")
    scope = scope_for(request.user)
    run = ReportRun.objects.filter(calico_id=report_id, state=ReportRun.SUCCEEDED).first()
    if run is None or not access.visible_runs(ReportRun.objects.filter(pk=run.pk), scope).exists():
        raise Http404("no such report")
    return render(request, "reports/detail.html", {"detail": report_detail(run, user=request.user, scope=scope)})


@require_POST
@login_required
def run_now(request: HttpRequest, name: str) -> HttpResponse:
    """On demand: the schedule's last complete interval, now (not counted in the status)."""
    if not request.user.has_perm("reports.change_globalreport"):
        raise PermissionDenied("running a report needs the permission reports.change_globalreport")
    report = get_object_or_404(GlobalReport, name=name)
    run = report_run_now(report)
    if run.state == ReportRun.SUCCEEDED:
        messages.success(request, f"{report.name}: generated {run.calico_id}")
        return redirect("reports:detail", report_id=run.calico_id)
    messages.error(request, f"{report.name}: {run.state}: {run.error}")
    return redirect("reports:list")


@require_POST
@login_required
def subscribe(request: HttpRequest, name: str) -> HttpResponse:
    """Toggle the viewer's e-mail subscription to a report."""
    report = get_object_or_404(GlobalReport, name=name)
    user = request.user  # logged in (the decorator): a User
    existing = report.subscriptions.filter(user__username=user.get_username()).first()
    if existing is not None:
        subscription_delete(subscription=existing, user=request.user)
        messages.success(request, f"Unsubscribed from {report.name}.")
        return redirect("reports:list")
    try:
        subscription_create(user=user, report=report)
    except SubscriptionRefused as exc:
        messages.error(request, f"Cannot subscribe to {report.name}: {exc}")
    else:
        messages.success(request, f"Subscribed to {report.name}: each generated report is e-mailed to "
                                  f"{getattr(user, 'email', '')}.")
    return redirect("reports:list")


@csrf_exempt  # RFC 8058: mail clients POST here without a session; the signed token is the proof
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks to confirm (link scanners fetch links); POST unsubscribes (one click)."""
    subscription = subscription_from_token(token)
    if request.method == "GET":
        return render(request, "reports/unsubscribe.html", {"subscription": subscription, "done": False},
                      status=200 if subscription else 404)
    if subscription is not None:
        subscription_delete(subscription=subscription)
    return render(request, "reports/unsubscribe.html", {"subscription": subscription, "done": True})


@require_http_methods(["GET", "POST"])
@login_required
def definition_edit(request: HttpRequest, name: str | None = None) -> HttpResponse:
    """Create (no name) or edit a GlobalReport as YAML; ``delete`` in the form deletes it."""
    report = get_object_or_404(GlobalReport, name=name) if name else None
    needed = "reports.change_globalreport" if report else "reports.add_globalreport"
    if not request.user.has_perm(needed):
        raise PermissionDenied(f"needs the permission {needed}")
    text = definition_text(report)
    error = ""
    if request.method == "POST" and report is not None and "delete" in request.POST:
        if not request.user.has_perm("reports.delete_globalreport"):
            raise PermissionDenied("needs the permission reports.delete_globalreport")
        globalreport_delete(name=report.name, user=request.user)
        messages.success(request, f"globalreport/{report.name} deleted")
        return redirect("reports:list")
    if request.method == "POST":
        text = request.POST.get("definition", "")
        try:
            saved, outcome = definition_save(text=text, name=name, user=request.user)
        except EditorError as exc:
            error = str(exc)
        else:
            messages.success(request, f"globalreport/{saved} {outcome}")
            return redirect("reports:list")
    return render(request, "reports/edit.html", {"report": report, "text": text, "error": error},
                  status=400 if error else 200)

"""Pages: the overview, one event, and uploading a log file (the search page is in search_views)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from auditui.access.scope import ReservedClusterError, check_cluster_name, scope_for
from auditui.events import safe_json, selectors, services, trail
from auditui.events.store import get_store


@require_GET
@login_required
def overview(request: HttpRequest) -> HttpResponse:
    data = selectors.overview(scope_for(request.user), is_staff=request.user.is_staff)
    return render(request, "events/overview.html", {"overview": data, "scope_empty": scope_for(request.user).is_empty})


@require_GET
@login_required
def event_detail(request: HttpRequest, event_id: str) -> HttpResponse:
    record = get_store().get(scope_for(request.user), event_id)
    if record is None:
        # Out of scope and missing look the same, so nothing leaks about others' events.
        raise Http404("No such event")
    return render(request, "events/detail.html", {"event": record, "raw_json": safe_json.pretty(record.raw)})


class UploadForm(forms.Form):
    cluster = forms.RegexField(
        regex=r"^[A-Za-z0-9]([A-Za-z0-9._-]{0,251}[A-Za-z0-9])?$",
        help_text="Letters, digits, dots, dashes and underscores; a cluster whose every namespace you may see.",
        error_messages={"invalid": "Use letters, digits, dots, dashes and underscores only."},
    )
    file = forms.FileField(help_text="JSON Lines, a JSON Event or EventList, optionally gzip-compressed.")

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_cluster(self) -> str:
        cluster = self.cleaned_data["cluster"]
        try:
            check_cluster_name(cluster)
        except ReservedClusterError as exc:
            raise forms.ValidationError(str(exc)) from exc
        refusal = services.upload_refusal(self.user, cluster)
        if refusal:
            raise forms.ValidationError(refusal)
        return cluster


@staff_member_required
def upload(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm(services.UPLOAD_PERMISSION):
        raise PermissionDenied("Uploading audit logs needs the permission events.upload_events.")
    form = UploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        job = services.ingest_job_create(
            cluster=form.cleaned_data["cluster"], file_name=form.cleaned_data["file"].name,
            content=form.cleaned_data["file"], user=request.user,
        )
        trail.record(verb="create", resource="uploads", name=str(job.pk), request=request,
                     request_object={"cluster": job.cluster, "fileName": job.file_name,
                                     "size": form.cleaned_data["file"].size})
        messages.success(request, f"{job.file_name} is queued for ingest into cluster {job.cluster}.")
        return redirect("events:upload")
    return render(request, "events/upload.html", {"form": form, "jobs": services.jobs_for(request.user)[:20]})

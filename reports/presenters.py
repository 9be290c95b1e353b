"""GlobalReports and GlobalReportTypes as ``projectcalico.org/v3`` documents, with Calico's status."""

from __future__ import annotations

from typing import Any

from reports.models import GlobalReport, GlobalReportType, ReportRun, rfc3339

API_VERSION = "projectcalico.org/v3"
# Calico's controller keeps this many of each in the status (TIGERA_COMPLIANCE_MAX_*_JOBS_HISTORY).
SUCCESSFUL_HISTORY = 2
FAILED_HISTORY = 10


def _metadata(name: str, created: Any, uid: str | None = None, **extra: Any) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name, "creationTimestamp": rfc3339(created.replace(microsecond=0))}
    if uid:
        metadata["uid"] = uid
    metadata.update({key: value for key, value in extra.items() if value})
    return metadata


def _job(run: ReportRun, *, completed: bool = False) -> dict[str, Any]:
    job: dict[str, Any] = {"start": rfc3339(run.start), "end": rfc3339(run.end),
                           "job": {"kind": "ReportRun", "name": run.job_name}}
    if completed and run.completed_at:
        job["jobCompletionTime"] = rfc3339(run.completed_at.replace(microsecond=0))
    return job


def report_status(report: GlobalReport) -> dict[str, Any]:
    """Calico's GlobalReport status from the report's scheduled runs (on-demand runs are left out)."""
    runs = report.runs.filter(on_demand=False)
    succeeded = runs.filter(state=ReportRun.SUCCEEDED).order_by("-end")[:SUCCESSFUL_HISTORY]
    failed = runs.filter(state=ReportRun.FAILED).order_by("-end")[:FAILED_HISTORY]
    active = runs.filter(state__in=[ReportRun.PENDING, ReportRun.RUNNING]).order_by("end")
    last = runs.order_by("-end").first()
    status: dict[str, Any] = {}
    if succeeded:
        status["lastSuccessfulReportJobs"] = [_job(run, completed=True) for run in succeeded]
    if failed:
        status["lastFailedReportJobs"] = [_job(run, completed=True) for run in failed]
    if active:
        status["activeReportJobs"] = [_job(run) for run in active]
    if last is not None:
        status["lastScheduledReportJob"] = _job(last)
    return status


def report_document(report: GlobalReport) -> dict[str, Any]:
    return {
        "apiVersion": API_VERSION, "kind": "GlobalReport",
        "metadata": _metadata(report.name, report.created, str(report.uid), labels=report.labels,
                              annotations=report.annotations, generation=report.generation),
        "spec": report.spec,
        "status": report_status(report),
    }


def report_type_document(report_type: GlobalReportType) -> dict[str, Any]:
    labels = {"global-report-type": report_type.name} if report_type.builtin else {}
    return {
        "apiVersion": API_VERSION, "kind": "GlobalReportType",
        "metadata": _metadata(report_type.name, report_type.created, labels=labels),
        "spec": report_type.spec,
    }

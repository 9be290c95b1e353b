"""The compliance page's view models: the list of generated reports with its widgets and trend,
and one report's detail. Built from selectors and ``access`` (what this viewer may see)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse

from auditui.access.scope import ViewerScope
from reports import access, selectors
from reports.builtin_types import ACTIVITY_SUMMARY, INVENTORY, NETWORK_ACCESS, POLICY_AUDIT
from reports.events_face import local_text
from reports.models import GlobalReport, GlobalReportType, ReportRun, Subscription
from reports.presenters import report_status

PAGE_SIZE = 50
# What each type's widgets and trend show: (summary key, label).
WIDGETS = {
    POLICY_AUDIT: [("numCreatedPolicies", "Created"), ("numModifiedPolicies", "Modified"),
                   ("numDeletedPolicies", "Deleted"), ("numTotal", "Total events")],
    ACTIVITY_SUMMARY: [("numEvents", "Events"), ("numPolicyChanges", "Policy changes"),
                       ("numForbidden", "Forbidden"), ("numExecSessions", "Exec sessions")],
    INVENTORY: [("endpointsNumInScope", "Endpoints in scope"), ("endpointsNumIngressProtected", "Ingress protected"),
                ("endpointsNumEgressProtected", "Egress protected"), ("namespacesNumInScope", "Namespaces in scope")],
    NETWORK_ACCESS: [("endpointsNumInScope", "Endpoints in scope"),
                     ("endpointsNumIngressProtected", "Ingress protected"),
                     ("endpointsNumEgressProtected", "Egress protected"),
                     ("endpointsNumIngressFromInternet", "Ingress from internet")],
}
# Types whose numbers describe the cluster at the newest run (summing runs would count pods twice).
STATE_TYPES = (INVENTORY, NETWORK_ACCESS)
# The summary keys that are not numbers shown as cards.
NOT_CARDS = ("failedAttempts", "title", "charts", "completeness", "flowLogs")


@dataclass(frozen=True)
class Row:
    run: ReportRun
    interval: str
    generated: str
    summary: dict[str, Any] | None
    downloads: list[tuple[str, str]]  # (format, url)
    detail_href: str


@dataclass(frozen=True)
class Widget:
    report_type: str
    label: str
    value: int


@dataclass(frozen=True)
class Chart:
    """One of Calico's "Inscope vs Protected" charts, drawn as a CSS bar."""

    heading: str
    label: str
    value: int
    total: int

    @property
    def percent(self) -> float:
        return round(100 * self.value / self.total, 1) if self.total else 0.0


@dataclass(frozen=True)
class ChartPanel:
    report_type: str
    report_name: str
    interval: str
    charts: list[Chart]


def charts_of(summary: dict[str, Any]) -> list[Chart]:
    return [Chart(c["heading"], c["label"], int(c["value"]), int(c["total"])) for c in summary.get("charts", [])]


@dataclass(frozen=True)
class TrendBar:
    label: str
    values: list[tuple[str, int, float]]  # (series, value, height in %)


@dataclass
class ReportsPage:
    rows: list[Row]
    filters: selectors.ReportFilters
    widgets: list[Widget]
    trend: list[TrendBar]
    trend_series: list[str]
    trend_report: str
    names: list[str]
    types: list[str]
    definitions: list[dict[str, Any]] = field(default_factory=list)
    panels: list[ChartPanel] = field(default_factory=list)
    show_definitions: bool = False
    failed: list[ReportRun] = field(default_factory=list)
    count: int = 0
    next_href: str = ""
    params: dict[str, str] = field(default_factory=dict)


def interval_text(run: ReportRun) -> str:
    return f"{local_text(run.start)} → {local_text(run.end)}"


def _date(text: str, param: str, end: bool = False) -> datetime | None:
    """A date field (``YYYY-MM-DD``) or an RFC 3339 time."""
    if not text:
        return None
    if len(text) == 10:
        try:
            day = datetime.fromisoformat(text).date()
        except ValueError as exc:
            raise selectors.ParamError(param, f"not a date: {text!r}") from exc
        return datetime.combine(day, time.max if end else time.min, tzinfo=UTC)
    return selectors.parse_time(text, param)


def filters_from(params: Mapping[str, str]) -> selectors.ReportFilters:
    return selectors.ReportFilters(
        report_type=params.get("type", ""), report_name=params.get("report", ""),
        from_time=_date(params.get("from", ""), "from"), to_time=_date(params.get("to", ""), "to", end=True))


def _row(run: ReportRun, user: Any, scope: ViewerScope) -> Row:
    see, fetch = access.can_see_summary(user), access.can_download(user)
    url = reverse("api-report-download", args=[run.calico_id])
    return Row(run=run, interval=interval_text(run),
               generated=local_text(run.completed_at) if run.completed_at else "",
               summary=access.summary_for(run, scope) if see else None,
               downloads=[(fmt, f"{url}?{urlencode({'format': fmt})}") for fmt in run.formats] if fetch else [],
               detail_href=reverse("reports:detail", args=[run.calico_id]) if see else "")


def _widgets(rows: list[Row]) -> list[Widget]:
    widgets = []
    for report_type, keys in WIDGETS.items():
        summaries = [r.summary for r in rows if r.run.report_type == report_type and r.summary is not None]
        if summaries and report_type in STATE_TYPES:
            summaries = summaries[:1]  # rows are newest first
        if summaries:
            widgets += [Widget(report_type, label, sum(int(s.get(key, 0)) for s in summaries)) for key, label in keys]
    return widgets


def _panels(rows: list[Row]) -> list[ChartPanel]:
    """Calico's "Inscope vs Protected" charts of the newest inventory and network-access run shown."""
    panels = []
    for report_type in STATE_TYPES:
        row = next((r for r in rows if r.run.report_type == report_type and r.summary), None)
        if row is not None and row.summary is not None:
            panels.append(ChartPanel(report_type, row.run.report_name, row.interval, charts_of(row.summary)))
    return panels


def _trend(report_name: str, user: Any, scope: ViewerScope) -> tuple[list[TrendBar], list[str]]:
    runs = [run for run in selectors.trend(report_name) if access.visible_runs(
        ReportRun.objects.filter(pk=run.pk), scope).exists()]
    if not runs or not access.can_see_summary(user):
        return [], []
    keys = WIDGETS.get(runs[0].report_type, [])[:3]
    summaries = [access.summary_for(run, scope) for run in runs]
    top = max([int(s.get(key, 0)) for s in summaries for key, _ in keys] + [1])
    bars = [TrendBar(label=f"{run.end:%m-%d %H:%M}", values=[
        (label, int(s.get(key, 0)), round(100 * int(s.get(key, 0)) / top, 1)) for key, label in keys])
        for run, s in zip(runs, summaries, strict=True)]
    return bars, [label for _, label in keys]


def reports_page(*, user: Any, scope: ViewerScope, params: Mapping[str, str]) -> ReportsPage:
    filters = filters_from(params)
    runs = access.visible_runs(selectors.generated_reports(filters), scope)
    try:
        offset = max(int(params.get("offset", "0")), 0)
    except ValueError as exc:
        raise selectors.ParamError("offset", "must be a whole number") from exc
    chosen = list(runs[offset:offset + PAGE_SIZE + 1])
    rows = [_row(run, user, scope) for run in chosen[:PAGE_SIZE]]
    trend_report = filters.report_name or (rows[0].run.report_name if rows else "")
    trend, series = _trend(trend_report, user, scope) if trend_report else ([], [])
    kept = {k: v for k, v in params.items() if v and k != "offset"}
    page = ReportsPage(
        rows=rows, filters=filters, widgets=_widgets(rows), panels=_panels(rows), trend=trend, trend_series=series,
        trend_report=trend_report, names=selectors.report_names(),
        types=list(GlobalReportType.objects.values_list("name", flat=True)), count=runs.count(), params=kept)
    if len(chosen) > PAGE_SIZE:
        page.next_href = "?" + urlencode({**kept, "offset": offset + PAGE_SIZE})
    if access.can_see_summary(user) and scope.everything:
        page.failed = selectors.failed_runs(filters)
    if user.has_perm("reports.view_globalreport"):
        page.show_definitions = True
        mine = set(Subscription.objects.filter(user_id=user.pk).values_list("report_id", flat=True))
        page.definitions = [{**_definition(report), "subscribed": report.pk in mine}
                            for report in GlobalReport.objects.order_by("name")]
    return page


def _definition(report: GlobalReport) -> dict[str, Any]:
    status = report_status(report)
    last_ok = (status.get("lastSuccessfulReportJobs") or [{}])[0]
    return {"report": report, "status": status, "last_success": last_ok.get("end", ""),
            "active": len(status.get("activeReportJobs", [])), "failed": len(status.get("lastFailedReportJobs", []))}


@dataclass(frozen=True)
class ReportDetail:
    row: Row
    summary: dict[str, Any]
    failed_attempts: list[dict[str, Any]]
    spec: dict[str, Any]
    charts: list[Chart] = field(default_factory=list)
    completeness: dict[str, Any] = field(default_factory=dict)
    flow_logs: str = ""


def report_detail(run: ReportRun, *, user: Any, scope: ViewerScope) -> ReportDetail:
    row = _row(run, user, scope)
    summary = row.summary or {}
    return ReportDetail(row=row, summary={k: v for k, v in summary.items() if k not in NOT_CARDS},
                        failed_attempts=list(summary.get("failedAttempts", [])), spec=run.spec,
                        charts=charts_of(summary), completeness=dict(summary.get("completeness", {})),
                        flow_logs=str(summary.get("flowLogs", "")))

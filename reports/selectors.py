"""Reads of generated reports for the compliance page and the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet

from reports.models import ReportRun


class ParamError(ValueError):
    def __init__(self, param: str, message: str) -> None:
        super().__init__(f"{param}: {message}")
        self.param = param


@dataclass(frozen=True)
class ReportFilters:
    report_type: str = ""
    report_name: str = ""
    from_time: datetime | None = None  # reports whose interval ends after it
    to_time: datetime | None = None  # reports whose interval starts before it


def parse_time(text: str | None, param: str) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise ParamError(param, f"not an RFC 3339 time: {text!r}") from exc
    if moment.tzinfo is None:
        raise ParamError(param, "needs a time zone (e.g. Z)")
    return moment


def generated_reports(filters: ReportFilters) -> QuerySet[ReportRun]:
    """Succeeded runs, newest interval first, as Calico's list returns them."""
    runs = ReportRun.objects.filter(state=ReportRun.SUCCEEDED)
    if filters.report_type:
        runs = runs.filter(report_type=filters.report_type)
    if filters.report_name:
        runs = runs.filter(report_name=filters.report_name)
    if filters.from_time:
        runs = runs.filter(end__gt=filters.from_time)
    if filters.to_time:
        runs = runs.filter(start__lt=filters.to_time)
    return runs.order_by("-end", "report_name", "-id")


def failed_runs(filters: ReportFilters, limit: int = 20) -> list[ReportRun]:
    runs = ReportRun.objects.filter(state=ReportRun.FAILED)
    if filters.report_name:
        runs = runs.filter(report_name=filters.report_name)
    return list(runs.order_by("-end")[:limit])


def report_names() -> list[str]:
    return sorted(set(ReportRun.objects.values_list("report_name", flat=True)))


def trend(report_name: str, limit: int = 30) -> list[ReportRun]:
    """The last runs of one report, oldest first (the trend chart)."""
    runs = generated_reports(ReportFilters(report_name=report_name))[:limit]
    return list(reversed(list(runs)))

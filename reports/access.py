"""Who may do what with generated reports, as Calico's compliance server has it (reference §5):
listing reports, seeing a report's summary, and downloading its files are separate permissions,
and a viewer's scope cuts what they see in each.

Permissions (admin → Users or Groups): ``reports.list_reports`` (list), ``reports.view_globalreport``
(a report's summary and detail page), ``reports.download_report`` (its files). Superusers hold all.

Scope: a report is generated once, in the whole view. A policy-audit report is cut to the
viewer's scope from the data kept beside its files (events of namespaces they see; cluster-scoped
policies only for viewers who see the whole cluster). inventory and network-access reports are
cut to the endpoints of the viewer's namespaces, and their counts (endpoints, namespaces,
services, service accounts) are recomputed from those rows: a scoped viewer's summary counts
what they see, never the cluster's totals. An activity summary counts every cluster and
namespace and cannot be cut: only viewers who see everything get it.
"""

from __future__ import annotations

import json
from typing import Any

from django.db.models import QuerySet

from auditui.access.scope import ViewerScope
from reports import files, inventory
from reports.builtin_types import INVENTORY, NETWORK_ACCESS, POLICY_AUDIT
from reports.generate import DATA, render
from reports.models import ReportRun


class CannotCut(Exception):
    """The report type's content cannot be cut to this scope; says why."""

    @classmethod
    def for_type(cls, report_type: str) -> CannotCut:
        return cls(f"{report_type} reports count every cluster and namespace and cannot be cut to a scope; "
                   "only viewers who see everything receive them")


def can_list(user: Any) -> bool:
    return bool(user.is_authenticated and user.has_perm("reports.list_reports"))


def can_see_summary(user: Any) -> bool:
    return bool(user.is_authenticated and user.has_perm("reports.view_globalreport"))


def can_download(user: Any) -> bool:
    return bool(user.is_authenticated and user.has_perm("reports.download_report")
                and user.has_perm("reports.view_globalreport"))


CUTTABLE = (POLICY_AUDIT, INVENTORY, NETWORK_ACCESS)


def cuttable(report_type: str) -> bool:
    return report_type in CUTTABLE


def visible_runs(runs: QuerySet[ReportRun], scope: ViewerScope) -> QuerySet[ReportRun]:
    """The runs a scope may see anything of: all for the whole view, else those that can be cut
    (and none for a viewer who sees nothing)."""
    if scope.everything:
        return runs
    if scope.is_empty:
        return runs.none()
    return runs.filter(report_type__in=CUTTABLE)


def check_cut(run: ReportRun, scope: ViewerScope) -> None:
    if scope.everything or cuttable(run.report_type):
        return
    raise CannotCut.for_type(run.report_type)


def _cut_data(run: ReportRun, scope: ViewerScope) -> dict[str, Any]:
    data = json.loads(files.read(run.calico_id, DATA))
    if run.report_type in (INVENTORY, NETWORK_ACCESS):
        return inventory.cut(data, scope)
    entries = [e for e in data["entries"] if scope.allows(e["cluster"], e["namespace"])]
    return {**data, "entries": entries}


def summary_for(run: ReportRun, scope: ViewerScope) -> dict[str, Any]:
    """The run's UI summary as this scope sees it."""
    check_cut(run, scope)
    if scope.everything:
        return dict(run.summary)
    summary, _files = render(run, _cut_data(run, scope))
    return summary


def files_for(run: ReportRun, scope: ViewerScope, formats: list[str]) -> dict[str, bytes]:
    """The files of these formats as this scope sees them."""
    check_cut(run, scope)
    if scope.everything:
        return {fmt: files.read(run.calico_id, fmt) for fmt in formats}
    _summary, contents = render(run, _cut_data(run, scope))
    return {fmt: contents[fmt] for fmt in formats}

"""The reports API, included under ``/api/v1/`` by ``auditui/urls.py``."""

from __future__ import annotations

from django.urls import path

from reports import api, api_definitions

urlpatterns = [
    path("globalreports", api_definitions.GlobalReportListView.as_view(), name="api-globalreports"),
    path("globalreports/<str:name>", api_definitions.GlobalReportDetailView.as_view(), name="api-globalreport"),
    path("reports", api.ReportListView.as_view(), name="api-reports"),
    path("reports/<str:report_id>/download", api.ReportDownloadView.as_view(), name="api-report-download"),
]

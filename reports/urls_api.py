"""The reports API, included under ``/api/v1/`` by ``auditui/urls.py``."""

from __future__ import annotations

from django.urls import path

from reports import api_definitions

urlpatterns = [
    path("globalreports", api_definitions.GlobalReportListView.as_view(), name="api-globalreports"),
    path("globalreports/<str:name>", api_definitions.GlobalReportDetailView.as_view(), name="api-globalreport"),
]

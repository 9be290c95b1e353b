"""The events app's API routes (under ``/api/v1/``, included from ``auditui/urls.py``)."""

from __future__ import annotations

from django.urls import path

from auditui.events import api
from auditui.events.webhook import AuditWebhookView

urlpatterns = [
    path("audit/webhook", AuditWebhookView.as_view(), name="audit-webhook"),
    path("events", api.EventListView.as_view(), name="api-events"),
    path("events/export", api.ExportView.as_view(), name="api-events-export"),
    path("events/histogram", api.HistogramView.as_view(), name="api-events-histogram"),
    path("events/fields/<path:field>/top", api.TopValuesView.as_view(), name="api-events-top"),
    path("events/<str:event_id>", api.EventDetailView.as_view(), name="api-event"),
]

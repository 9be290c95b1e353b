"""The alerts API under ``/api/v1/`` (included from ``auditui/urls.py``)."""

from __future__ import annotations

from django.urls import path

from alerts import api

urlpatterns = [
    path("globalalerts", api.GlobalAlertListView.as_view(), name="api-globalalerts"),
    path("globalalerts/<str:name>", api.GlobalAlertDetailView.as_view(), name="api-globalalert"),
    path("globalalerttemplates", api.TemplateListView.as_view(), name="api-globalalerttemplates"),
    path("globalalerttemplates/<str:name>", api.TemplateDetailView.as_view(), name="api-globalalerttemplate"),
    path("alert-events", api.AlertEventListView.as_view(), name="api-alert-events"),
    path("alert-events/<int:event_id>/<str:action>", api.AlertEventActionView.as_view(), name="api-alert-event-act"),
    path("alert-events/<str:action>", api.AlertEventActionView.as_view(), name="api-alert-events-act"),
]

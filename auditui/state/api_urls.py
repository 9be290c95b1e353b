"""The state app's API routes (under ``/api/v1/``, included from ``auditui/urls.py``)."""

from __future__ import annotations

from django.urls import path

from auditui.state import api

urlpatterns = [
    path("endpoints", api.EndpointListView.as_view(), name="api-endpoints"),
]

"""The policies app's API routes (under ``/api/v1/``, included from ``auditui/urls.py``)."""

from __future__ import annotations

from django.urls import path

from auditui.policies import api

urlpatterns = [
    path("policies", api.PolicyListView.as_view(), name="api-policies"),
    # The name as a path: a name holding "/" (hostile events can carry one) still has a changelog.
    path("policies/<str:resource>/<str:namespace>/<path:name>/changelog", api.ChangelogView.as_view(),
         name="api-policy-changelog"),
]

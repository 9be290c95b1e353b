"""The compliance pages, included at ``/reports/`` by ``auditui/urls.py``."""

from __future__ import annotations

from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("", views.report_list, name="list"),
    path("definitions/new/", views.definition_edit, name="new"),
    path("definitions/<str:name>/", views.definition_edit, name="edit"),
    path("run/<str:name>/", views.run_now, name="run-now"),
    path("subscribe/<str:name>/", views.subscribe, name="subscribe"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("<str:report_id>/", views.report_detail_page, name="detail"),
]

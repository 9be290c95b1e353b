from __future__ import annotations

from django.urls import path

from alerts import views

app_name = "alerts"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("act", views.act, name="act"),
    path("rules/<str:name>/", views.alert_detail, name="alert"),
]

from __future__ import annotations

from django.urls import path

from alerts import pack_views, views

app_name = "alerts"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("act", views.act, name="act"),
    path("new/", views.rule_editor, name="new"),
    path("pack/", pack_views.pack, name="pack"),
    path("pack/install", pack_views.pack_install_view, name="pack-install"),
    path("check", views.rule_check, name="check"),
    path("save", views.rule_save, name="save"),
    path("rules/<str:name>/", views.alert_detail, name="alert"),
    path("rules/<str:name>/edit/", views.rule_editor, name="edit"),
]

from django.urls import path

from auditui.events import views

app_name = "events"

urlpatterns = [
    path("", views.event_list, name="list"),
    path("upload/", views.upload, name="upload"),
    path("<str:event_id>/", views.event_detail, name="detail"),
]

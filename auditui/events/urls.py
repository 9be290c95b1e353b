from django.urls import path

from auditui.events import search_views, views

app_name = "events"

urlpatterns = [
    path("", search_views.events_search, name="list"),
    path("upload/", views.upload, name="upload"),
    path("saved/", search_views.saved_search_create, name="saved-create"),
    path("saved/<int:pk>/", search_views.saved_search_open, name="saved-open"),
    path("saved/<int:pk>/delete/", search_views.saved_search_delete, name="saved-delete"),
    path("fields/<path:field>/", search_views.field_values, name="field-values"),
    path("<str:event_id>/", views.event_detail, name="detail"),
    path("<str:event_id>/expand/", search_views.event_expand, name="expand"),
    path("<str:event_id>/around/", search_views.event_around, name="around"),
]

from django.urls import path

from auditui.state import views

app_name = "state"

urlpatterns = [
    path("", views.endpoint_list, name="endpoints"),
    path("<str:cluster>/<str:namespace>/<str:name>/", views.endpoint_detail, name="endpoint"),
]

from django.urls import path

from auditui.state import views

app_name = "state"

urlpatterns = [
    path("", views.endpoint_list, name="endpoints"),
    # The name last, as a path: a name holding "/" (hostile events can carry one) still has a link.
    path("<str:cluster>/<str:namespace>/<path:name>/", views.endpoint_detail, name="endpoint"),
]

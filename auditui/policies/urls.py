from django.urls import path

from auditui.policies import views

app_name = "policies"

urlpatterns = [
    path("", views.policy_list, name="list"),
    # The name last, as a path: a name holding "/" (hostile events can carry one) still has a link.
    path("<str:resource>/<str:namespace>/<path:name>/", views.policy_history, name="history"),
]

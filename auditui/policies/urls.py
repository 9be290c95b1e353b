from django.urls import path

from auditui.policies import views

app_name = "policies"

urlpatterns = [
    path("", views.policy_list, name="list"),
    path("<str:resource>/<str:namespace>/<str:name>/", views.policy_history, name="history"),
]

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from auditui.access.forms import LoginForm
from auditui.events import api as event_api
from auditui.events import views as event_views
from auditui.events.webhook import AuditWebhookView
from auditui.policies import api as policy_api
from auditui.state import api as state_api


def healthz(request):
    return JsonResponse({"status": "ok"})


api_v1: list[URLPattern | URLResolver] = [
    path("audit/webhook", AuditWebhookView.as_view(), name="audit-webhook"),
    path("events", event_api.EventListView.as_view(), name="api-events"),
    path("events/export", event_api.ExportView.as_view(), name="api-events-export"),
    path("events/histogram", event_api.HistogramView.as_view(), name="api-events-histogram"),
    path("events/fields/<path:field>/top", event_api.TopValuesView.as_view(), name="api-events-top"),
    path("events/<str:event_id>", event_api.EventDetailView.as_view(), name="api-event"),
    path("policies", policy_api.PolicyListView.as_view(), name="api-policies"),
    path("policies/<str:resource>/<str:namespace>/<str:name>/changelog", policy_api.ChangelogView.as_view(),
         name="api-policy-changelog"),
    path("endpoints", state_api.EndpointListView.as_view(), name="api-endpoints"),
    path("", include("reports.urls_api")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # A page for people: sends them to the login page (the schema itself answers 401/403 to API clients).
    path("docs/", login_required(SpectacularSwaggerView.as_view(url_name="schema")), name="swagger-ui"),
]

urlpatterns = [
    path("", event_views.overview, name="overview"),
    path("events/", include("auditui.events.urls")),
    path("policies/", include("auditui.policies.urls")),
    path("endpoints/", include("auditui.state.urls")),
    path("reports/", include("reports.urls")),
    path("api/v1/", include(api_v1)),
    path("healthz", healthz, name="healthz"),
    path("login/", auth_views.LoginView.as_view(template_name="auth/login.html", authentication_form=LoginForm),
         name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
]

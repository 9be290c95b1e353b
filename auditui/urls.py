from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from auditui.access import views as access_views
from auditui.access.forms import LoginForm
from auditui.events import views as event_views
from auditui.ops import views as ops_views


def healthz(request):
    return JsonResponse({"status": "ok"})


api_v1: list[URLPattern | URLResolver] = [
    # Each app lists its own API routes (names stay global: api-events, api-policies, …).
    path("", include("auditui.events.api_urls")),
    path("", include("auditui.policies.api_urls")),
    path("", include("auditui.state.api_urls")),
    path("status", ops_views.StatusView.as_view(), name="api-status"),
    path("", include("alerts.api_urls")),
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
    path("alerts/", include("alerts.urls")),
    path("reports/", include("reports.urls")),
    path("api/v1/", include(api_v1)),
    path("healthz", healthz, name="healthz"),
    path("readyz", ops_views.readyz, name="readyz"),
    path("status/", ops_views.status_page, name="status"),
    path("scope/", access_views.my_scope, name="my-scope"),
    path("login/", auth_views.LoginView.as_view(template_name="auth/login.html", authentication_form=LoginForm),
         name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
]

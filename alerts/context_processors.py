from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from alerts.selectors import new_alert_count
from auditui.access.scope import scope_for


def new_alerts(request: HttpRequest) -> dict:
    """The count of new alert events in the navigation, computed only if a page shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"new_alert_count": SimpleLazyObject(lambda: new_alert_count(scope=scope_for(user)))}

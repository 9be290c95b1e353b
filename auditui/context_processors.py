from __future__ import annotations

from django.utils import timezone

from auditui.access.limits import ScopeLimit, scope_limit
from auditui.access.scope import scope_for


def viewer(request) -> dict:
    return {"viewer_tz": timezone.get_current_timezone_name(), "viewer_limit": _limit(request)}


def _limit(request) -> ScopeLimit | None:
    """What the viewer's view is limited to (None: nothing is hidden, or nobody is logged in);
    resolved once per request, whichever templates ask."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    if not hasattr(request, "_viewer_limit"):
        request._viewer_limit = scope_limit(scope_for(user))
    return request._viewer_limit

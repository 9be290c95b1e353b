"""Show times in the viewer's time zone (from the ``tz`` cookie the pages set from the browser),
and say so when the event store cannot answer."""

from __future__ import annotations

import logging
import zoneinfo
from urllib.parse import unquote

from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone

from auditui.events.store import StoreUnavailable

log = logging.getLogger(__name__)


def viewer_timezone(request) -> zoneinfo.ZoneInfo | None:
    # The browser writes the cookie with encodeURIComponent (Europe%2FBerlin).
    name = unquote(request.COOKIES.get("tz", ""))
    if not name:
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


class ViewerTimezoneMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        tz = viewer_timezone(request)
        if tz is not None:
            timezone.activate(tz)
        else:
            timezone.deactivate()
        return self.get_response(request)


class StoreUnavailableMiddleware:
    """An event store that cannot answer just now (``StoreUnavailable``: a search engine down,
    overloaded or refusing auditui's credentials) is said so, with 503 and ``Retry-After``,
    instead of a bare server error. Staff see the reason (it names the engine's address); other
    viewers are told to try again. The webhook's caller, the API server, gets the reason too: its
    operators need it, and a 503 with Retry-After is what its webhook backend retries."""

    RETRY_AFTER_SECONDS = 30
    WEBHOOK_PATH = "/api/v1/audit/webhook"

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, StoreUnavailable):
            return None
        log.warning("event store unavailable (%s %s): %s", request.method, request.path, exception)
        user = getattr(request, "user", None)
        shows_reason = request.path == self.WEBHOOK_PATH or bool(user and user.is_staff)
        reason = str(exception) if shows_reason else None
        if request.path.startswith("/api/"):
            message = f"event store unavailable: {reason}" if reason else "event store unavailable; try again later"
            response = JsonResponse({"error": message}, status=503)
        else:
            response = render(request, "store_unavailable.html", {"reason": reason}, status=503)
        response["Retry-After"] = str(self.RETRY_AFTER_SECONDS)
        return response

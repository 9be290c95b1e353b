"""Show times in the viewer's time zone (from the ``tz`` cookie the pages set from the browser)."""

from __future__ import annotations

import zoneinfo
from urllib.parse import unquote

from django.utils import timezone


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

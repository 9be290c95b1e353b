"""Show times in the viewer's time zone (from the ``tz`` cookie the pages set from the browser),
and say so when the event store cannot answer."""

from __future__ import annotations

import logging
import zoneinfo
from urllib.parse import unquote

from django.conf import settings
from django.db import DatabaseError
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone

from auditui.events.store import StoreUnavailable
from auditui.events.store import deadline as read_deadline

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
        timeout = _as_timeout(exception)
        if timeout is not None:
            return self.timed_out(request, timeout)
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

    def timed_out(self, request, exception: read_deadline.QueryTimeout):
        """A read over the time limit: every viewer is told what to do about it (the message
        names no server), and nothing is retried for them (no Retry-After: the same search
        would take as long again)."""
        log.warning("read over the time limit (%s %s): %s", request.method, request.path, exception)
        if request.path.startswith("/api/"):
            return JsonResponse({"error": str(exception)}, status=503)
        return render(request, "store_unavailable.html", {"reason": str(exception), "timed_out": True}, status=503)


def _as_timeout(exception: BaseException) -> read_deadline.QueryTimeout | None:
    """The time-limit error an exception stands for: itself, or a database error raised when the
    deadline stopped a statement outside the store's own reads."""
    if isinstance(exception, read_deadline.QueryTimeout):
        return exception
    deadline = read_deadline.current()
    if deadline is not None and isinstance(exception, DatabaseError) and read_deadline.is_timeout(exception):
        return read_deadline.QueryTimeout(deadline.seconds)
    return None


class QueryDeadlineMiddleware:
    """Every page and API call reads the event store within ``AUDITUI_QUERY_TIMEOUT_S``
    (``auditui.events.store.deadline``), so that no viewer holds a worker, or the database, for
    minutes. The webhook writes, and is not a viewer: it is not limited. Streamed exports read
    after the view has returned, outside this limit (they are capped in rows instead)."""

    UNLIMITED_PATHS = (StoreUnavailableMiddleware.WEBHOOK_PATH,)

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        if request.path in self.UNLIMITED_PATHS:
            return self.get_response(request)
        with read_deadline.limit(settings.AUDITUI_QUERY_TIMEOUT_S):
            return self.get_response(request)

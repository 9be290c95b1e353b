"""Who is on the other end of a request: the client's address, for login throttling and the trail."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """The peer's address; behind the TLS proxy (``AUDITUI_TLS_PROXY``), the address the proxy saw.

    Only the last entry of ``X-Forwarded-For`` is taken: it is the one our proxy appended, while
    everything before it is whatever the client chose to send.
    """
    if getattr(settings, "AUDITUI_TLS_PROXY", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        last = forwarded.split(",")[-1].strip()
        if last:
            return last
    return request.META.get("REMOTE_ADDR", "") or ""

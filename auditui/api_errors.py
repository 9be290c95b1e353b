"""The API's one exception handler (``REST_FRAMEWORK["EXCEPTION_HANDLER"]``): errors of the
request's own making answer 400 with what was wrong; everything else is DRF's."""

from __future__ import annotations

from typing import Any

from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from auditui.events.store import StoreError
from auditui.params import ParamError


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ParamError):
        return Response(exc.as_dict(), status=400)
    # A request the store cannot serve (a bad field, an unsupported grouping) is the caller's to
    # change, for the views that say so; elsewhere it stays a server error.
    if isinstance(exc, StoreError) and getattr(context.get("view"), "store_errors_are_bad_requests", False):
        return Response({"error": str(exc)}, status=400)
    return drf_exception_handler(exc, context)

"""Telling a search engine that cannot answer just now from one that refused a request.

Every request a transport sends (``transport.py``) goes through ``reachable``: a connection that fails or times out,
or an answer that says "not now" (overloaded, not ready, no credentials that work), becomes
``StoreUnavailable`` with a short reason and the engine's address (never its credentials), so
that pages and the API can say so (503) and the ingest paths can ask to be retried. Anything
else (a bad request is a bug) stays what it was."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any, TypeVar

from auditui.events.store.base import StoreUnavailable
from auditui.events.store.deadline import timeout_instead

F = TypeVar("F", bound=Callable[..., Any])

STATUS_REASONS = {
    401: "refused auditui's credentials (HTTP 401: check the user and password in EVENT_STORE_URL)",
    403: "refused auditui's credentials (HTTP 403: the user may not read or write these indices)",
    429: "is overloaded (HTTP 429: too many requests)",
    502: "is not answering (HTTP 502 from a proxy in front of it)",
    503: "is not ready (HTTP 503)",
    504: "did not answer in time (HTTP 504 from a proxy in front of it)",
}
_ERRNO = re.compile(r"\[Errno -?\d+\] ([^)'\"\]]+)")


def connection_reason(exc: BaseException, *, timed_out: bool) -> str:
    """Why a connection failed, in a few words (the clients' messages run to several lines)."""
    if timed_out:
        return "did not answer in time"
    text = str(exc)
    if "CERTIFICATE_VERIFY_FAILED" in text:
        return "cannot be reached: its TLS certificate is not trusted (ca_certs=/path, or verify_certs=false)"
    match = _ERRNO.search(text)
    if match:
        return f"cannot be reached: {match[1].strip().rstrip('.').lower()}"
    return f"cannot be reached ({type(exc).__name__})"


def status_reason(status: object) -> str | None:
    return STATUS_REASONS.get(status) if isinstance(status, int) else None


def reachable(method: F) -> F:
    """Make a transport's request method raise ``StoreUnavailable`` when the engine cannot answer
    (the transport's ``unavailable_reason`` says which failures those are)."""

    @functools.wraps(method)
    def wrapper(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except StoreUnavailable:
            raise
        except Exception as exc:
            timeout = timeout_instead(exc)
            if timeout is not None:
                raise timeout from exc
            reason = self.unavailable_reason(exc)
            if reason is None:
                raise
            raise StoreUnavailable(f"{self.engine_title} at {self.config.url} {reason}") from exc

    return wrapper  # type: ignore[return-value]

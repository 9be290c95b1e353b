"""Everything ``reports`` takes from ``auditui.events`` beyond the store and the query language,
in one place (the events package's public face: README "What other apps may use")."""

from __future__ import annotations

from typing import Any

from auditui.events import trail
from auditui.events.viewer_time import local_text

__all__ = ["local_text", "record_change", "record_download"]


def record_change(*, verb: str, resource: str, name: str, request_object: dict | None = None,
                  response_object: dict | None = None, user: Any = None) -> None:
    """auditui's own audit trail: a change to a report definition or subscription, written once
    the transaction commits (``auditui.events.trail``)."""
    trail.record(verb=verb, resource=resource, name=name, user=user, request_object=request_object,
                 response_object=response_object, after_commit=True)


def record_download(request: Any, *, report_id: str, formats: list[str]) -> None:
    """A download of a generated report's files, in the trail at once (the download is over)."""
    trail.record(verb="get", resource="reportdownloads", name=report_id, request=request,
                 user=getattr(request, "user", None), request_object={"formats": formats})

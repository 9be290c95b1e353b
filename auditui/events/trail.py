"""auditui's own audit trail: what people do to auditui, written as ``audit.k8s.io/v1`` Events.

Logins, failed logins, logouts, exports, uploads and changes to scopes, tokens, drop rules and
pull sources become events of the reserved cluster ``auditui`` (``access.scope.RESERVED_CLUSTER``),
written through the normal ingest path, so the search page, the changelog and alerts work on
them like on any cluster's. Only viewers whose scope names that cluster see them.

Writing the trail never blocks the action it records: an event that cannot be written is logged
and the action goes on. Changes to models are written after their transaction commits, so a
change that is rolled back leaves no trace and a failed write cannot break the change's own
transaction; actions that are over when they are recorded (logins, exports, uploads) at once.

Who acted comes from the request (``TrailMiddleware`` keeps it for model signals) or, outside a
request, from the command line (``manage.py create_ingest_token``, a Celery worker).
"""

from __future__ import annotations

import contextvars
import getpass
import logging
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse

from auditui.access.client import client_address
from auditui.access.scope import RESERVED_CLUSTER
from auditui.events import provenance
from auditui.events.ingest import ingest_events

log = logging.getLogger(__name__)

API_GROUP = "auditui.io"
API_VERSION = "v1"
COMMAND_USER = "system:auditui:command"
_current_request: contextvars.ContextVar[HttpRequest | None] = contextvars.ContextVar(
    "auditui_trail_request", default=None
)


@dataclass(frozen=True)
class Actor:
    """Who did it, from where, with what: the event's ``user``, ``sourceIPs``, ``userAgent``."""

    username: str
    groups: tuple[str, ...] = ()
    source_ip: str = ""
    user_agent: str = ""
    uri: str = ""
    extra: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Outcome:
    """The event's ``responseStatus``."""

    code: int = 200
    message: str = ""


def actor_from_request(request: HttpRequest, user: Any = None) -> Actor:
    user = user if user is not None else getattr(request, "user", None)
    authenticated = user is not None and getattr(user, "is_authenticated", False)
    return Actor(
        username=user.get_username() if authenticated else "system:anonymous",
        groups=tuple(user.groups.values_list("name", flat=True)) if authenticated else ("system:unauthenticated",),
        source_ip=client_address(request),
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:1024],
        uri=request.get_full_path()[:4096],
    )


def command_actor() -> Actor:
    """Outside a request: the program and its subcommand (never its other arguments, which may
    name files or values that are nobody's business), and the operating-system user."""
    argv = sys.argv or ["auditui"]
    program = " ".join([Path(argv[0]).name, *argv[1:2]])
    try:
        os_user = getpass.getuser()
    except (KeyError, OSError):  # no login name in a container without a passwd entry
        os_user = "unknown"
    return Actor(username=COMMAND_USER, groups=("system:auditui",), user_agent=program, uri=program,
                 extra=(("auditui.io/os-user", os_user),))


def current_actor() -> Actor:
    request = _current_request.get()
    return actor_from_request(request) if request is not None else command_actor()


def build_event(*, actor: Actor, verb: str, resource: str, name: str = "", outcome: Outcome = Outcome(),
                request_object: dict | None = None, response_object: dict | None = None,
                now: datetime | None = None) -> dict:
    """One ``audit.k8s.io/v1`` Event (stage ResponseComplete, level RequestResponse)."""
    stamp = (now or datetime.now(UTC)).isoformat().replace("+00:00", "Z")
    user: dict[str, Any] = {"username": actor.username, "groups": list(actor.groups)}
    if actor.extra:
        user["extra"] = {key: [value] for key, value in actor.extra}
    status: dict[str, Any] = {"metadata": {}, "code": outcome.code}
    if outcome.message:
        status["message"] = outcome.message
    event: dict[str, Any] = {
        "kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "RequestResponse",
        "auditID": str(uuid.uuid4()), "stage": "ResponseComplete", "requestURI": actor.uri, "verb": verb,
        "user": user, "sourceIPs": [actor.source_ip] if actor.source_ip else [], "userAgent": actor.user_agent,
        "objectRef": {"resource": resource, "name": name, "apiGroup": API_GROUP, "apiVersion": API_VERSION},
        "responseStatus": status, "requestReceivedTimestamp": stamp, "stageTimestamp": stamp,
    }
    if not name:
        del event["objectRef"]["name"]
    if request_object is not None:
        event["requestObject"] = request_object
    if response_object is not None:
        event["responseObject"] = response_object
    return event


def record(*, verb: str, resource: str, name: str = "", request: HttpRequest | None = None, user: Any = None,
           outcome: Outcome = Outcome(), request_object: dict | None = None,
           response_object: dict | None = None, after_commit: bool = False) -> None:
    """Write one trail event: at once (an action that is over: a login, an export), or, with
    ``after_commit``, once the current transaction commits (a change, which may yet roll back)."""
    actor = actor_from_request(request, user) if request is not None else current_actor()
    event = build_event(actor=actor, verb=verb, resource=resource, name=name, outcome=outcome,
                        request_object=request_object, response_object=response_object)
    if after_commit:
        transaction.on_commit(lambda: write(event))
    else:
        write(event)


def record_export(request: Any, *, file_name: str, query: Any, rows: int, total: int,
                  columns: list[str]) -> None:
    """An export of a search: what was asked for (query, range, clusters) and how much went out."""
    params = getattr(request, "GET", {})
    asked = {
        "query": params.get("query", ""), "format": params.get("format", "csv"), "columns": columns,
        "start": query.start.isoformat() if query.start else None,
        "end": query.end.isoformat() if query.end else None,
        "clusters": list(query.clusters), "rows": rows, "total": total, "truncated": total > rows,
    }
    record(verb="get", resource="exports", name=file_name, request=request, request_object=asked)


def write(event: dict) -> bool:
    """Ingest one trail event; a failure is logged, never raised: the action it records goes on."""
    try:
        report = ingest_events([event], cluster=RESERVED_CLUSTER, reserved_ok=True, source=provenance.TRAIL)
    except Exception:
        log.warning("auditui's own audit event could not be written: %s %s/%s by %s (auditID %s)",
                    event["verb"], event["objectRef"]["resource"], event["objectRef"].get("name", ""),
                    event["user"]["username"], event["auditID"], exc_info=True)
        return False
    if report.rejected:
        log.warning("auditui's own audit event was rejected: %s", "; ".join(map(str, report.rejections)))
    return not report.rejected


class TrailMiddleware:
    """Keeps the request at hand for the model-signal receivers, which have no other way to know
    who saved a scope or a token from the admin."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            _current_request.reset(token)

"""Turn one decoded JSON value into an ``AuditRecord`` (the indexed fields plus the raw event).

Accepts ``audit.k8s.io/v1``, ``v1beta1`` and ``v1alpha1`` events and old captures without an
``apiVersion``. Anything that is not an audit event raises ``RejectedRecord`` with a reason
that tells the user what is wrong with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import repeat
from operator import attrgetter, le
from typing import Any

from auditui.events.sanitize import SANITIZED_KEY, make_safe

AUDIT_API_VERSIONS = {"audit.k8s.io/v1", "audit.k8s.io/v1beta1", "audit.k8s.io/v1alpha1"}
KNOWN_STAGES = {"RequestReceived", "ResponseStarted", "ResponseComplete", "Panic"}
DECISION_ANNOTATION = "authorization.k8s.io/decision"
# Column widths of AuditEvent: indexed copies are cut to fit rather than failing the whole batch
# (the raw event keeps the whole value). request_uri is a text column in SQL, but a search
# engine's keyword term holds at most 32,766 bytes (4 per character).
_MAX_LEN = {"audit_id": 64, "stage": 32, "level": 32, "verb": 32, "api_version": 64, "uid": 64,
            "decision": 32, "user_agent": 1024, "username": 512, "impersonated_user": 512,
            "resource": 253, "subresource": 253, "api_group": 253, "namespace": 253, "name": 253,
            "request_uri": 8000}
# Items of the list columns (groups, source IPs): each cut like a column, and at most this many.
_MAX_ITEM_LEN = 1024
_MAX_ITEMS = 1000
# Event times a store can place: daily indices, epoch arithmetic and every database agree on
# these (Kubernetes audit logging did not exist before 2017).
MIN_TIME = datetime(1970, 1, 1, tzinfo=UTC)
MAX_TIME = datetime(3000, 1, 1, tzinfo=UTC)


class RejectedRecord(ValueError):
    """The record is not a usable audit event; the message says why."""


_SHOWN_CHARS = 40


def shown(value: Any) -> str:
    """A value of the event as a rejection reason quotes it: short, and never a whole object, so
    that reasons (shown in webhook answers and on the upload page) do not carry the event's data."""
    if isinstance(value, dict | list):
        return "a JSON object" if isinstance(value, dict) else "a JSON list"
    try:
        text = repr(value)
    except ValueError:  # an integer beyond Python's int-to-text limit
        return "a number of thousands of digits"
    return text if len(text) <= _SHOWN_CHARS else text[:_SHOWN_CHARS - 1] + "…"


@dataclass(slots=True)
class AuditRecord:
    """A normalised audit event: what every store backend writes and returns."""

    cluster: str
    audit_id: str
    stage: str
    time: datetime
    raw: dict[str, Any]
    stage_time: datetime | None = None
    level: str = ""
    verb: str = ""
    username: str = ""
    user_groups: list[str] = field(default_factory=list)
    impersonated_user: str = ""
    source_ips: list[str] = field(default_factory=list)
    user_agent: str = ""
    resource: str = ""
    subresource: str = ""
    api_group: str = ""
    api_version: str = ""
    namespace: str = ""
    name: str = ""
    uid: str = ""
    response_code: int | None = None
    decision: str = ""
    request_uri: str = ""
    # How the event came in (``webhook:token-3/aui_…``, ``upload:job-7/alice``, ``pull:calico``,
    # ``cli:root@node1:/var/log/audit.log``…): set by the Ingestor, never read from the event.
    source: str = ""
    id: int | str | None = None  # set by the store on read

    @property
    def has_request_object(self) -> bool:
        return has_body(self.raw, "requestObject")

    @property
    def has_response_object(self) -> bool:
        return has_body(self.raw, "responseObject")

    @property
    def sanitized(self) -> list[str]:
        """What ingest changed to make the event storable (``sanitize``), as noted in the event."""
        notes = self.raw.get(SANITIZED_KEY) if isinstance(self.raw, dict) else None
        return [note for note in notes if isinstance(note, str)] if isinstance(notes, list) else []

    @property
    def key(self) -> tuple[str, str, str]:
        """The identity that makes ingest idempotent."""
        return (self.cluster, self.audit_id, self.stage)

    @property
    def object_path(self) -> str:
        """`namespace/resource/name` (or what of it exists), for one-line summaries."""
        resource = f"{self.resource}/{self.subresource}" if self.subresource else self.resource
        return "/".join(p for p in (self.namespace, resource, self.name) if p)

    @property
    def succeeded(self) -> bool:
        return self.response_code is None or self.response_code < 400


def has_body(raw: dict, key: str) -> bool:
    """Whether any path under ``key`` can hold a value: the key (or a top-level key that starts
    with ``key.``, since path segments may contain dots) is present and not null. Stored beside
    the event so that conditions on request/response bodies skip the events that have none."""
    if raw.get(key) is not None:
        return True
    prefix = key + "."
    # Dotted top-level keys are rare: look for one in C (map) before walking the values.
    if not any(map(str.startswith, raw, repeat(prefix))):
        return False
    return any(name.startswith(prefix) and value is not None for name, value in raw.items())


def has_bodies(raw: dict) -> tuple[bool, bool]:
    """``has_body`` of ``requestObject`` and of ``responseObject`` at once: the usual event (no
    dotted top-level key) is told with one look through its keys in C instead of two."""
    request, response = raw.get("requestObject") is not None, raw.get("responseObject") is not None
    if (request and response) or not any(map(str.__contains__, raw, repeat("."))):
        return request, response
    return request or has_body(raw, "requestObject"), response or has_body(raw, "responseObject")


def parse_time(value: Any, field_name: str) -> datetime:
    """RFC3339 (any fraction length, ``Z`` or offset) to an aware UTC datetime."""
    if not isinstance(value, str) or not value:
        raise RejectedRecord(f"{field_name} is not a timestamp: {shown(value)}")
    try:
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        parsed = parsed.astimezone(UTC)
    except ValueError as exc:
        raise RejectedRecord(f"{field_name} is not an RFC3339 timestamp: {shown(value)}") from exc
    except OverflowError as exc:  # year 1 with a positive offset, year 9999 with a negative one
        raise RejectedRecord(f"{field_name} is out of range: {shown(value)}") from exc
    if not MIN_TIME <= parsed < MAX_TIME:
        raise RejectedRecord(f"{field_name} is out of range (1970 to 2999): {shown(value)}")
    return parsed



def _event_time(data: dict) -> tuple[datetime, datetime | None]:
    received, staged = data.get("requestReceivedTimestamp"), data.get("stageTimestamp")
    stage_time = parse_time(staged, "stageTimestamp") if staged else None
    if received:
        return parse_time(received, "requestReceivedTimestamp"), stage_time
    if stage_time is not None:
        return stage_time, stage_time
    if data.get("timestamp"):
        return parse_time(data["timestamp"], "timestamp"), stage_time
    raise RejectedRecord("no requestReceivedTimestamp, stageTimestamp or timestamp")


def _check_is_event(data: Any) -> None:
    if not isinstance(data, dict):
        raise RejectedRecord(f"not an audit event: expected a JSON object, got {type(data).__name__}")
    # Wrong types (a list as stage) are refused by the isinstance checks before any set lookup.
    kind = data.get("kind", "Event")
    if kind != "Event":
        raise RejectedRecord(f"not an audit event: kind is {shown(kind)}, expected 'Event'")
    api_version = data.get("apiVersion")
    if api_version is not None and not (isinstance(api_version, str) and api_version in AUDIT_API_VERSIONS):
        raise RejectedRecord(
            f"not an audit event: apiVersion {shown(api_version)} is not audit.k8s.io/v1 or v1beta1")
    audit_id = data.get("auditID")
    if not isinstance(audit_id, str) or not audit_id:
        raise RejectedRecord("not an audit event: auditID is missing")
    stage = data.get("stage")
    if not (isinstance(stage, str) and stage in KNOWN_STAGES):
        raise RejectedRecord(
            f"not an audit event: stage {shown(stage)} is not one of {', '.join(sorted(KNOWN_STAGES))}")


def _str_list(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    return [item[:_MAX_ITEM_LEN] for item in value[:_MAX_ITEMS] if isinstance(item, str)]


# objectRef's keys, in the order ``normalize_event`` unpacks them.
_REF_KEYS = ("resource", "subresource", "namespace", "name", "uid", "apiGroup", "apiVersion")
_NO_REF = ("",) * len(_REF_KEYS)
# Top-level text fields, in AuditRecord's order: level, verb; then user_agent; then request_uri.
_TOP_KEYS = ("level", "verb", "userAgent", "requestURI")


def _texts(source: dict, keys: tuple[str, ...]) -> list[str]:
    """Each key's value when it is a string, else "" (one comprehension for several fields:
    a function call per field was much of normalising, issue 18)."""
    return [value if isinstance(value, str) else "" for value in map(source.get, keys)]


def _object_ref(data: dict) -> list[str] | tuple[str, ...]:
    """resource, subresource, namespace, name, uid, api_group, api_version."""
    ref = data.get("objectRef")
    if not isinstance(ref, dict):
        return _NO_REF
    fields = _texts(ref, _REF_KEYS)
    if not fields[5] and "/" in fields[6]:
        # v1alpha1 carried "group/version" in apiVersion.
        fields[5], fields[6] = fields[6].split("/", 1)
    return fields


def _response_code(data: dict) -> int | None:
    status = data.get("responseStatus")
    code = status.get("code") if isinstance(status, dict) else None
    # HTTP status codes are three digits; anything else (or a number no database column holds)
    # is kept in the raw event but not indexed, rather than failing the whole batch.
    if isinstance(code, int) and not isinstance(code, bool) and 0 <= code < 10_000:
        return code
    return None


def normalize_event(data: Any, *, cluster: str, safe: bool = False) -> AuditRecord:
    """Validate one decoded value as an audit event and extract its indexed fields.

    Values no store can hold are made safe first (``sanitize``; ``safe``: the reader vouches
    there are none), noted in the event under ``SANITIZED_KEY``. Run for every event ingested:
    the fields are read in a few comprehensions and the record built positionally."""
    _check_is_event(data)
    notes: list[str] = []
    if not safe:
        data, notes = make_safe(data)
    if notes:
        data[SANITIZED_KEY] = notes
    time, stage_time = _event_time(data)
    get = data.get
    user, impersonated, annotations = get("user"), get("impersonatedUser"), get("annotations")
    if not isinstance(user, dict):
        user = _EMPTY
    level, verb, user_agent, request_uri = _texts(data, _TOP_KEYS)
    resource, subresource, namespace, name, uid, api_group, api_version = _object_ref(data)
    username = user.get("username")
    impersonated_user = impersonated.get("username") if isinstance(impersonated, dict) else ""
    decision = annotations.get(DECISION_ANNOTATION) if isinstance(annotations, dict) else ""
    record = AuditRecord(
        cluster, data["auditID"], data["stage"], time, data, stage_time, level, verb,
        username if isinstance(username, str) else "", _str_list(user.get("groups")),
        impersonated_user if isinstance(impersonated_user, str) else "", _str_list(get("sourceIPs")),
        user_agent, resource, subresource, api_group, api_version, namespace, name, uid, _response_code(data),
        decision if isinstance(decision, str) else "", request_uri,
    )
    _fit_columns(record)
    return record


_EMPTY: dict = {}


_LIMITED = attrgetter(*_MAX_LEN)
_LIMITS = tuple(_MAX_LEN.values())


def _fit_columns(record: AuditRecord) -> None:
    if all(map(le, map(len, _LIMITED(record)), _LIMITS)):
        return  # the usual case, told in C (issue 18: this loop was a tenth of normalising)
    cut = []
    for name, limit in _MAX_LEN.items():
        value = getattr(record, name)
        if len(value) > limit:
            if name == "audit_id":
                # The identity: cutting it could make two events one (a false duplicate).
                raise RejectedRecord(f"auditID is longer than {limit} characters")
            setattr(record, name, value[:limit])
            cut.append(name)
    if cut:
        # The raw event keeps the whole values; searches on these columns see the first characters.
        earlier = record.raw.get(SANITIZED_KEY)
        note = f"indexed copy of {', '.join(cut)} cut to its column's length; the event keeps the whole value"
        # A copy of the top level: the caller's event stays as it was.
        record.raw = {**record.raw, SANITIZED_KEY: [*(earlier if isinstance(earlier, list) else []), note]}

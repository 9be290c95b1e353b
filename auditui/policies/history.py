"""Rebuild an object's versions from its audit events: the changelog.

Input: every write event the store has about one object (any stage, any outcome, any order,
duplicates possible). Output: the successful changes oldest first, each with the version after
it when it can be known, the failed attempts apart, and the object's lives (a delete followed by
a create, or a new uid, starts a new life).

Which version a change leaves behind, best source first:
1. the ``responseObject`` (RequestResponse level);
2. the ``requestObject`` of a create or update (a whole object);
3. the ``requestObject`` of a patch applied to the previous version (``patch.py``);
otherwise (Metadata level, or a patch on an unknown version) it is not known, and says why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from auditui.events import safe_json
from auditui.events.normalize import AuditRecord
from auditui.policies.patch import PatchError, apply_patch, clone

FINAL_STAGES = ("ResponseComplete", "Panic")
NOT_RECORDED = "content not recorded at this audit level"
TOO_DEEP = (f"parts of this version nested deeper than {safe_json.MAX_DEPTH} levels could not be shown "
            "or diffed: a marker stands in their place")


@dataclass
class Change:
    """One successful write. ``after`` is None for a delete and when the version is not known."""

    record: AuditRecord
    number: int
    life: int
    after: dict | None
    known: bool  # whether ``after`` is the object (or, for a delete, that it is gone)
    before: dict | None = None
    before_known: bool = False
    source: str = ""  # response, request or patch: where ``after`` came from
    note: str = ""

    @property
    def verb(self) -> str:
        return self.record.verb

    @property
    def time(self) -> datetime:
        return self.record.time

    @property
    def is_create(self) -> bool:
        return self.record.verb == "create"

    @property
    def is_delete(self) -> bool:
        return self.record.verb in ("delete", "deletecollection")

    @property
    def diffable(self) -> bool:
        """Both sides are known (a create starts from nothing, a delete ends in nothing)."""
        return self.known and (self.before_known or self.is_create)


@dataclass
class Attempt:
    """A write that did not change the object (refused or failed), or whose outcome was not
    recorded (only its RequestReceived stage is stored)."""

    record: AuditRecord
    code: int | None
    reason: str
    message: str


@dataclass
class Life:
    number: int
    uid: str = ""
    created: Change | None = None  # None: it existed before the first recorded change
    deleted: Change | None = None
    note: str = ""


@dataclass
class Snapshot:
    """The object at one instant: ``state`` is exists, absent or unknown."""

    at: datetime
    state: str
    object: dict | None
    change: Change | None
    note: str = ""


@dataclass
class Changelog:
    changes: list[Change] = field(default_factory=list)
    attempts: list[Attempt] = field(default_factory=list)
    lives: list[Life] = field(default_factory=list)
    since: datetime | None = None  # a window's start: changes before it are left out
    base: Change | None = None  # in a window, the last change before it

    @property
    def exists(self) -> bool:
        last = self.changes[-1] if self.changes else self.base
        return last is not None and not last.is_delete

    @property
    def current(self) -> dict | None:
        last = self.changes[-1] if self.changes else self.base
        return last.after if last else None

    def at(self, moment: datetime) -> Snapshot:
        """The object as it was at ``moment``: after the last change received at or before it."""
        last = None
        for change in self.changes:
            if change.time > moment:
                break
            last = change
        if last is None and self.base is not None and self.base.time <= moment:
            last = self.base
        if last is None:
            if self.changes and self.changes[0].is_create and self.base is None:
                return Snapshot(moment, "absent", None, None, "not created yet")
            return Snapshot(moment, "unknown", None, None, "before the first recorded change")
        if last.is_delete:
            return Snapshot(moment, "absent", None, last, "deleted")
        if not last.known:
            return Snapshot(moment, "exists", None, last, last.note or NOT_RECORDED)
        return Snapshot(moment, "exists", last.after, last)


# --- building ------------------------------------------------------------------------------------

def window(log: Changelog, start: datetime) -> Changelog:
    """The changes and attempts received at or after ``start``, numbered from 1; the versions
    and lives come from the whole log they were built in."""
    changes = [c for c in log.changes if c.time >= start]
    earlier = [c for c in log.changes if c.time < start]
    for number, change in enumerate(changes, 1):
        change.number = number
    lives = [life for life in log.lives if any(c.life == life.number for c in changes)]
    attempts = [a for a in log.attempts if a.record.time >= start]
    return Changelog(changes, attempts, lives, since=start, base=earlier[-1] if earlier else None)


def self_contained(record: AuditRecord) -> bool:
    """Whether this successful write tells the whole object after it (or that it is gone)."""
    if record.verb in ("delete", "deletecollection") or _response_object(record) is not None:
        return True
    return record.verb in ("create", "update") and isinstance(record.raw.get("requestObject"), dict)


def build_changelog(records: list[AuditRecord]) -> Changelog:
    finals, incomplete = _final_events(records)
    log = Changelog()
    builder = _Builder(log)
    for record in sorted(finals, key=_order):
        if _failed(record):
            log.attempts.append(_attempt(record))
        else:
            builder.add(record)
    log.attempts.extend(_incomplete(r) for r in incomplete)
    log.attempts.sort(key=lambda a: _order(a.record))
    return log


def _final_events(records: list[AuditRecord]) -> tuple[list[AuditRecord], list[AuditRecord]]:
    """One event per request (auditID): its final stage. Requests with only a RequestReceived
    stage stored are returned apart: their outcome is not known (yet)."""
    by_request: dict[str, AuditRecord] = {}
    for record in records:
        kept = by_request.get(record.audit_id)
        if kept is None or _stage_rank(record) > _stage_rank(kept):
            by_request[record.audit_id] = record
    finals = [r for r in by_request.values() if r.stage in FINAL_STAGES or r.stage == "ResponseStarted"]
    incomplete = [r for r in by_request.values() if r.stage == "RequestReceived"]
    return finals, incomplete


def _stage_rank(record: AuditRecord) -> int:
    return {"RequestReceived": 0, "ResponseStarted": 1, "ResponseComplete": 2, "Panic": 3}.get(record.stage, 0)


def _order(record: AuditRecord) -> tuple:
    """By request time, then resourceVersion where the response has one (etcd's order)."""
    rv = _resource_version(record)
    return (record.time, rv if rv is not None else -1, record.stage_time or record.time, record.audit_id)


def _resource_version(record: AuditRecord) -> int | None:
    meta = _response_object(record)
    value = meta.get("metadata", {}).get("resourceVersion") if meta else None
    return int(value) if isinstance(value, str) and value.isdigit() else None


def _failed(record: AuditRecord) -> bool:
    return record.stage == "Panic" or (record.response_code is not None and record.response_code >= 400)


def _attempt(record: AuditRecord) -> Attempt:
    status = record.raw.get("responseStatus") if isinstance(record.raw.get("responseStatus"), dict) else {}
    reason = status.get("reason") or ("Panic" if record.stage == "Panic" else "")
    return Attempt(record, record.response_code, str(reason), str(status.get("message") or ""))


def _incomplete(record: AuditRecord) -> Attempt:
    return Attempt(record, None, "NoResponse", "only the RequestReceived stage was recorded: the outcome is unknown")


def _response_object(record: AuditRecord) -> dict | None:
    obj = record.raw.get("responseObject")
    if isinstance(obj, dict) and obj.get("kind") not in ("Status", None) and isinstance(obj.get("metadata"), dict):
        return obj
    return None


def _uid(record: AuditRecord, obj: dict | None) -> str:
    if obj and isinstance(obj.get("metadata"), dict) and obj["metadata"].get("uid"):
        return str(obj["metadata"]["uid"])
    return record.uid


class _Builder:
    """Walks the successful writes in order, keeping the current version and life."""

    def __init__(self, log: Changelog) -> None:
        self.log = log
        self.current: dict | None = None
        self.known = False  # whether self.current is the object's content
        self.exists: bool | None = None  # None: not known before the first change

    def add(self, record: AuditRecord) -> None:
        before, before_known = self.current, self.known
        if record.verb in ("delete", "deletecollection"):
            after, known, source, note = None, True, "", _delete_note(record)
        else:
            after, source, note = version_after(record, self.current if self.known else None)
            known = after is not None
        life, new_life = self._life(record, after)
        if record.verb == "create":
            before, before_known = None, True
        elif new_life:  # the previous version belongs to another life
            before, before_known = None, False
        change = Change(record, len(self.log.changes) + 1, life.number, after, known, before, before_known,
                        source, note)
        if record.verb == "create":
            life.created = change
        self.log.changes.append(change)
        if change.is_delete:
            life.deleted = change
            self.current, self.known, self.exists = None, True, False
        else:
            self.current, self.known, self.exists = after, known, True

    def _life(self, record: AuditRecord, after: dict | None) -> tuple[Life, bool]:
        """The life this change belongs to, and whether it starts a new one."""
        lives = self.log.lives
        uid = _uid(record, after)
        if not lives:
            lives.append(Life(1, uid=uid))
            return lives[-1], True
        life = lives[-1]
        if record.verb == "create" or self.exists is False:
            note = "" if record.verb == "create" else "recreated (its create was not recorded)"
            lives.append(Life(len(lives) + 1, uid=uid, note=note))
            return lives[-1], True
        if uid and life.uid and uid != life.uid:
            lives.append(Life(len(lives) + 1, uid=uid, note="new uid: deleted and recreated (not recorded)"))
            return lives[-1], True
        if uid and not life.uid:
            life.uid = uid
        return life, False


def _delete_note(record: AuditRecord) -> str:
    if record.verb != "deletecollection":
        return ""
    if _response_object(record) is not None:
        return "deleted with the rest of its collection (the response lists it)"
    return "deleted with the rest of its collection: it existed then, and the request had no selector"


def version_after(record: AuditRecord, previous: dict | None) -> tuple[dict | None, str, str]:
    """(version after a create/update/patch, where it came from, why not when it is None, or
    what of it could not be compared)."""
    after, source, note = _version_after(record, previous)
    if after is None:
        return after, source, note
    # Past this depth YAML, diffs and patches would recurse without end: cut, and say so.
    if safe_json.too_deep(after):
        return safe_json.bounded(after).value, source, TOO_DEEP
    if source in ("request", "patch") and safe_json.too_deep(record.raw.get("requestObject")):
        return after, source, TOO_DEEP  # rebuilt from a request cut in _version_after
    return after, source, note


def _version_after(record: AuditRecord, previous: dict | None) -> tuple[dict | None, str, str]:
    response = _response_object(record)
    if response is not None:
        return response, "response", ""
    request = record.raw.get("requestObject")
    if request is None:
        if record.level in ("", "Metadata", "None"):
            return None, "", NOT_RECORDED
        return None, "", "no object recorded for this request"
    if safe_json.too_deep(request):
        request = safe_json.bounded(request).value
    if record.verb in ("create", "update") and isinstance(request, dict):
        return _from_request(request, previous), "request", ""
    if record.verb == "patch":
        if previous is None:
            return None, "", "the previous version is not known, so the patch cannot be replayed"
        try:
            return _drop_resource_version(apply_patch(previous, request)), "patch", ""
        except PatchError as exc:
            return None, "", str(exc)
    return None, "", f"a {record.verb} does not say what the object became"


def _from_request(request: dict, previous: dict | None) -> dict:
    """A whole object sent by the client. The server keeps uid and creationTimestamp and sets
    a new resourceVersion, so take the first two from the previous version and drop the third
    (the request carries the one it was read at)."""
    obj = _drop_resource_version(clone(request))
    meta = obj.setdefault("metadata", {})
    prev_meta = previous.get("metadata", {}) if isinstance(previous, dict) else {}
    for key in ("uid", "creationTimestamp"):
        if meta.get(key) is None and prev_meta.get(key) is not None:
            meta[key] = prev_meta[key]
        elif key in meta and meta[key] is None:
            del meta[key]
    return obj


def _drop_resource_version(obj: Any) -> Any:
    if isinstance(obj, dict) and isinstance(obj.get("metadata"), dict) and "resourceVersion" in obj["metadata"]:
        obj = dict(obj)
        obj["metadata"] = {k: v for k, v in obj["metadata"].items() if k != "resourceVersion"}
    return obj

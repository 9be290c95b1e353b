"""Apply a recorded patch body to the previous version of an object.

The audit log keeps the patch body but not its Content-Type, so the kind is told by shape:
a list is a JSON patch (RFC 6902); an object is a JSON merge patch (RFC 7386) or a strategic
merge patch, which we apply as a merge patch that understands the strategic directives
(``$patch: delete|replace|merge``, ``$retainKeys``, ``$deleteFromPrimitiveList/…``; the
``$setElementOrder/…`` order hints are ignored). Without the schema we do not know which
lists merge by key, so a list in the patch replaces the current one, unless it carries
directives, which only merging lists can.
"""

from __future__ import annotations

from typing import Any

import jsonpatch
import orjson

from auditui.events import safe_json

# Keys that identify list elements in Kubernetes' strategic merge (patchMergeKey values).
MERGE_KEYS = ("name", "port", "containerPort", "mountPath", "devicePath", "ip", "topologyKey", "type")
_DELETE = object()


class PatchError(ValueError):
    """The patch does not apply to the version we have; the message says why."""


def clone(value: Any) -> Any:
    """A deep copy; what orjson cannot write (nesting past 255 levels, huge integers) is copied
    through ``safe_json.bounded``, markers in place of what it cuts."""
    try:
        return orjson.loads(orjson.dumps(value))
    except TypeError:
        return safe_json.bounded(value).value


def apply_patch(document: dict, body: Any) -> dict:
    """The document with ``body`` applied; raises PatchError when it does not apply."""
    # Merging recurses per level of the patch: bound both sides before Python's limit does.
    if safe_json.too_deep(document):
        document = safe_json.bounded(document).value
    if safe_json.too_deep(body):
        body = safe_json.bounded(body).value
    if isinstance(body, list):
        return apply_json_patch(document, body)
    if isinstance(body, dict):
        result = merge(document, body)
        if not isinstance(result, dict):
            raise PatchError("the patch deletes the whole object")
        return result
    raise PatchError(f"a patch body must be a JSON object or list, not {type(body).__name__}")


def apply_json_patch(document: dict, operations: list) -> dict:
    """RFC 6902 through ``jsonpatch``. ``test`` operations are dropped: the API server already
    checked them when it accepted the request, against a resourceVersion we may not have."""
    ops = [op for op in operations if not (isinstance(op, dict) and op.get("op") == "test")]
    try:
        return jsonpatch.JsonPatch(ops).apply(clone(document), in_place=True)
    except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException, KeyError, IndexError, TypeError) as exc:
        raise PatchError(f"the JSON patch does not apply: {exc}") from exc


def merge(target: Any, patch: Any) -> Any:
    """RFC 7386 merge, plus strategic-merge directives; returns new values, never mutates."""
    if not isinstance(patch, dict):
        return strip_directives(patch)
    directive = patch.get("$patch")
    if directive == "delete":
        return _DELETE
    if directive == "replace":
        return strip_directives(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if key.startswith("$"):
            _directive(result, key, value)
        elif value is None:
            result.pop(key, None)
        elif isinstance(value, list):
            result[key] = merge_list(result.get(key), value)
        else:
            merged = merge(result.get(key), value)
            if merged is _DELETE:
                result.pop(key, None)
            else:
                result[key] = merged
    retain = patch.get("$retainKeys")
    if isinstance(retain, list):
        result = {k: v for k, v in result.items() if k in retain}
    return result


def _directive(result: dict, key: str, value: Any) -> None:
    name, _, field = key.partition("/")
    if name == "$deleteFromPrimitiveList" and isinstance(result.get(field), list) and isinstance(value, list):
        result[field] = [item for item in result[field] if item not in value]
    # $patch, $retainKeys are handled by the caller; $setElementOrder only orders elements.


def merge_list(current: Any, patch: list) -> list:
    """A list in a patch: replaces the current list, unless its elements carry directives."""
    directives = [e for e in patch if isinstance(e, dict) and "$patch" in e]
    items = [strip_directives(e) for e in patch if not (isinstance(e, dict) and "$patch" in e)]
    if not directives or any(d["$patch"] == "replace" for d in directives) or not isinstance(current, list):
        return items
    result = list(current)
    for d in directives:
        if d["$patch"] == "delete":
            wanted = {k: v for k, v in d.items() if k != "$patch"}
            result = [e for e in result if not _matches(e, wanted)]
    for item in items:
        index = _find_by_merge_key(result, item)
        if index is None:
            result.append(item)
        else:
            result[index] = merge(result[index], item)
    return result


def _matches(element: Any, wanted: dict) -> bool:
    if not wanted:
        return False
    return isinstance(element, dict) and all(element.get(k) == v for k, v in wanted.items())


def _find_by_merge_key(elements: list, item: Any) -> int | None:
    if not isinstance(item, dict):
        return elements.index(item) if item in elements else None
    for key in MERGE_KEYS:
        if key in item:
            for index, element in enumerate(elements):
                if isinstance(element, dict) and element.get(key) == item[key]:
                    return index
            return None
    return None


def strip_directives(value: Any) -> Any:
    """A copy without strategic-merge directives (keys starting with ``$``)."""
    if isinstance(value, dict):
        return {k: strip_directives(v) for k, v in value.items() if not k.startswith("$")}
    if isinstance(value, list):
        return [strip_directives(v) for v in value if not (isinstance(v, dict) and "$patch" in v)]
    return value

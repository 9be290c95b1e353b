"""Kubernetes API shapes: request paths, object references, Status bodies, merge patches."""

from __future__ import annotations

from typing import Any

import orjson

DELETE_OPTIONS = {"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Background"}


def clone(value: Any) -> Any:
    """A deep copy of JSON data, several times faster than ``copy.deepcopy``."""
    return orjson.loads(orjson.dumps(value))


def api_prefix(group: str, version: str) -> str:
    return f"/apis/{group}/{version}" if group else f"/api/{version}"


def object_path(
    group: str, version: str, resource: str, namespace: str = "", name: str = "", subresource: str = ""
) -> str:
    path = api_prefix(group, version)
    if namespace:
        path += f"/namespaces/{namespace}"
    path += f"/{resource}"
    if name:
        path += f"/{name}"
    if subresource:
        path += f"/{subresource}"
    return path


def object_ref(
    resource: str,
    namespace: str = "",
    name: str = "",
    *,
    group: str = "",
    version: str = "v1",
    uid: str = "",
    resource_version: str = "",
    subresource: str = "",
) -> dict:
    """An ``objectRef`` with the keys in the order the API server writes them, empty ones left out."""
    ref = {"resource": resource}
    if namespace:
        ref["namespace"] = namespace
    if name:
        ref["name"] = name
    if uid:
        ref["uid"] = uid
    if group:
        ref["apiGroup"] = group
    ref["apiVersion"] = version
    if resource_version:
        ref["resourceVersion"] = resource_version
    if subresource:
        ref["subresource"] = subresource
    return ref


def qualified(resource: str, group: str) -> str:
    return f"{resource}.{group}" if group else resource


def failure(code: int, reason: str, message: str, details: dict) -> dict:
    """``responseStatus`` of a failed request."""
    return {
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "details": details,
        "code": code,
    }


def forbidden(
    username: str, verb: str, resource: str, group: str, namespace: str = "", name: str = ""
) -> dict:
    what = qualified(resource, group) + (f' "{name}"' if name else "")
    where = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
    message = (
        f'{what} is forbidden: User "{username}" cannot {verb} resource "{resource}" '
        f'in API group "{group}" {where}'
    )
    details = {"name": name, "group": group, "kind": resource} if name else {"group": group, "kind": resource}
    return failure(403, "Forbidden", message, details)


def not_found(resource: str, group: str, name: str) -> dict:
    message = f'{qualified(resource, group)} "{name}" not found'
    return failure(404, "NotFound", message, {"name": name, "group": group, "kind": resource})


def conflict(resource: str, group: str, name: str) -> dict:
    message = (
        f'Operation cannot be fulfilled on {qualified(resource, group)} "{name}": the object has been '
        "modified; please apply your changes to the latest version and try again"
    )
    return failure(409, "Conflict", message, {"name": name, "group": group, "kind": resource})


def status_object(status: dict) -> dict:
    """The ``Status`` body the API server answers a failed request with."""
    body = {"kind": "Status", "apiVersion": "v1", "metadata": {}}
    body.update({k: v for k, v in status.items() if k != "metadata"})
    return body


def deleted(resource: str, group: str, name: str, uid: str) -> tuple[dict, dict]:
    """``responseStatus`` and ``responseObject`` of a successful delete."""
    details = {"name": name, "group": group, "kind": resource, "uid": uid}
    status = {"metadata": {}, "status": "Success", "details": details, "code": 200}
    return status, {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "details": dict(details),
    }


def merge_diff(old: Any, new: Any) -> Any:
    """The JSON merge patch (RFC 7386) that turns ``old`` into ``new``: lists are replaced whole."""
    if not isinstance(old, dict) or not isinstance(new, dict):
        return clone(new)
    patch: dict = {}
    for key, value in new.items():
        if key not in old:
            patch[key] = clone(value)
        elif old[key] != value:
            patch[key] = merge_diff(old[key], value)
    for key in old:
        if key not in new:
            patch[key] = None
    return patch


def merge_apply(target: Any, patch: Any) -> Any:
    """Apply a JSON merge patch (RFC 7386); returns a new value."""
    if not isinstance(patch, dict):
        return clone(patch)
    result = clone(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_apply(result.get(key), value)
    return result

"""Links that carry a page's state in the URL: one way to write ``base?key=value&…`` for every
page (the events search, the policy list, a policy's history, and the apps to come)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from urllib.parse import urlencode

Params = Mapping[str, object] | Iterable[tuple[str, object]]


def querystring(params: Params) -> str:
    """The URL query string of ``params``; a tuple or list value repeats its key, and empty values
    (``""``, None, 0) are left out, so that defaults stay out of shareable links."""
    items = params.items() if isinstance(params, Mapping) else params
    pairs: list[tuple[str, object]] = []
    for key, value in items:
        values = value if isinstance(value, tuple | list) else [value]
        pairs += [(key, v) for v in values if v]
    return urlencode(pairs)


def href(base: str, params: Params) -> str:
    """``base`` with ``params`` (no ``?`` when there are none)."""
    query = querystring(params)
    return f"{base}?{query}" if query else base

"""The cursor of a search-engine store's pages: the last hit's sort values (``SEARCH_SORT``) and,
from the second page on, a point-in-time id, as URL-safe base64 of JSON. A cursor comes back from
clients, so decoding checks every part (a bad one is a ``StoreError``, answered 400)."""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from typing import Any

import orjson

from auditui.events.store.base import StoreError
from auditui.events.store.bodies import SEARCH_SORT

SORT_VALUES = len(SEARCH_SORT)
_EVENT_ID = re.compile(r"^[0-9a-f]{32}$")


def encode_cursor(after: Sequence[Any], pit: str | None) -> str:
    payload = [*after, pit] if pit else list(after)
    return base64.urlsafe_b64encode(orjson.dumps(payload)).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[list[Any], str | None]:
    try:
        payload = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError, orjson.JSONDecodeError) as exc:
        raise StoreError("invalid cursor") from exc
    n = SORT_VALUES
    if (
        not isinstance(payload, list) or len(payload) not in (n, n + 1)
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in payload[: n - 1])
        or not isinstance(payload[n - 1], str) or not _EVENT_ID.match(payload[n - 1])
        or (len(payload) == n + 1 and not isinstance(payload[n], str))
    ):
        raise StoreError("invalid cursor")
    return payload[:n], payload[n] if len(payload) == n + 1 else None

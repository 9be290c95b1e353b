"""Sections other apps add to the activity summary (e.g. "alerts fired in the interval").

``reports`` and ``alerts`` never import each other, so the hook is a setting, not an import:
``AUDITUI_SUMMARY_SECTIONS`` lists dotted paths of callables ``(start, end) -> dict | None``, each
returning ``{"title", "columns", "rows"}`` (or None to add nothing). A section that fails is
left out and logged: the summary still goes out.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)


def summary_sections(start: datetime, end: datetime) -> list[dict[str, Any]]:
    sections = []
    for path in getattr(settings, "AUDITUI_SUMMARY_SECTIONS", []):
        try:
            section = import_string(path)(start, end)
        except Exception:
            log.warning("activity-summary section %s failed; left out", path, exc_info=True)
            continue
        if section:
            sections.append({"title": str(section["title"]), "columns": list(section["columns"]),
                             "rows": [list(row) for row in section["rows"]]})
    return sections

from __future__ import annotations

from django.utils import timezone


def viewer(request) -> dict:
    return {"viewer_tz": timezone.get_current_timezone_name()}

"""Times as the viewer sees them: URL values in UTC (``iso_z``), text and ``datetime-local``
inputs in the viewer's zone (Django's current time zone, set per request by the middleware).

One module for every page and app, so that a time typed into one page's form means the same
instant on another's.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from django.utils import timezone


def iso_z(moment: datetime) -> str:
    """UTC, whole seconds, with a Z: the form pages write into URLs."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_micro(moment: datetime) -> str:
    """UTC with microseconds and a Z: an exact instant (API fields, ``at=`` links)."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def local_text(moment: datetime) -> str:
    """The instant in the viewer's zone, to the second."""
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M:%S}"


def local_input(moment: datetime | None) -> str:
    """A ``datetime-local`` input value in the viewer's zone ("" for no time)."""
    return f"{timezone.localtime(moment):%Y-%m-%dT%H:%M:%S}" if moment else ""


def from_local_input(text: str) -> str:
    """A ``datetime-local`` value (viewer's zone) as a UTC URL value; unparsable text is kept,
    so that the range parser reports it."""
    text = text.strip()
    try:
        naive = datetime.fromisoformat(text)
    except ValueError:
        return text
    if naive.tzinfo is None:
        naive = timezone.make_aware(naive, timezone.get_current_timezone())
    return iso_z(naive)


def from_local_inputs(params: Mapping, names: tuple[str, ...] = ("start", "end")) -> dict[str, str]:
    """A custom-range form's ``<name>_local`` inputs (viewer's zone) as UTC URL values, for the
    names it filled in: what every page's range form redirects to."""
    return {name: from_local_input(params.get(f"{name}_local", "")) for name in names
            if params.get(f"{name}_local", "")}

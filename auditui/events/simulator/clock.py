"""Simulated time: the daily rhythm of a cluster and fast RFC3339 timestamps.

Times inside the simulator are float seconds since the simulation start (exact to the
microsecond over weeks), converted to absolute microseconds only when formatted.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

BUCKET_SECONDS = 900  # the rhythm is piecewise constant over quarter hours
BUCKETS_PER_DAY = 86400 // BUCKET_SECONDS
BUCKETS_PER_WEEK = 7 * BUCKETS_PER_DAY
# Share of a weekday's events caused by people (and their CI); the rest is machinery.
HUMAN_SHARE = 0.3
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def office_curve(hour: float) -> float:
    """How busy people are at a local hour: morning and afternoon peaks, a lunch dip, quiet nights."""
    morning = math.exp(-(((hour - 10.5) / 1.8) ** 2))
    afternoon = 0.9 * math.exp(-(((hour - 15.0) / 2.0) ** 2))
    return 0.04 + morning + afternoon


def _normalised(values: list[float]) -> list[float]:
    mean = sum(values) / len(values)
    return [v / mean for v in values]


def _human_day(weekend: bool) -> list[float]:
    hours = [(b + 0.5) * BUCKET_SECONDS / 3600 for b in range(BUCKETS_PER_DAY)]
    curve = _normalised([office_curve(h) for h in hours])
    if weekend:
        # On-call and a few keen people: same volume per day, much flatter shape.
        curve = [0.7 + 0.3 * v for v in curve]
    return curve


class Rhythm:
    """Event intensity per quarter hour of the week, in the team's local time.

    Machinery runs at a constant pace; people follow ``office_curve``. Each day averages
    to 1, so ``events_per_second`` is the mean over any whole day.
    """

    def __init__(self, utc_offset_hours: float) -> None:
        self.offset = utc_offset_hours * 3600
        weekday, weekend = _human_day(False), _human_day(True)
        # Monday is day 0 of the table (as in ``date.weekday()``).
        self.human = [h for day in range(7) for h in (weekend if day >= 5 else weekday)]

    def bucket(self, epoch_seconds: float) -> int:
        local = epoch_seconds + self.offset
        day, second = divmod(int(local), 86400)
        weekday = (day + 3) % 7  # 1970-01-01 was a Thursday
        return weekday * BUCKETS_PER_DAY + second // BUCKET_SECONDS

    def intensity(self, bucket: int) -> tuple[float, float]:
        """(events relative to the mean, share of them caused by people) in that bucket."""
        people = HUMAN_SHARE * self.human[bucket]
        total = (1 - HUMAN_SHARE) + people
        return total, people / total


class Timestamps:
    """Formats simulation times as ``2026-11-27T10:20:30.123456Z`` without datetime objects."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            start = start.replace(tzinfo=UTC)
        delta = start.astimezone(UTC) - _EPOCH
        self.start_us = (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds
        self._days: dict[int, str] = {}

    def epoch_seconds(self, t: float) -> float:
        return self.start_us / 1_000_000 + t

    def _day_prefix(self, day: int) -> str:
        prefix = self._days.get(day)
        if prefix is None:
            prefix = datetime.fromtimestamp(day * 86400, UTC).strftime("%Y-%m-%dT")
            self._days[day] = prefix
        return prefix

    def micro(self, t: float) -> str:
        """RFC3339 with microseconds, as the API server writes request and stage timestamps."""
        seconds, micros = divmod(self.start_us + int(t * 1_000_000), 1_000_000)
        day, second = divmod(seconds, 86400)
        hour, rest = divmod(second, 3600)
        minute, sec = divmod(rest, 60)
        return f"{self._day_prefix(day)}{hour:02d}:{minute:02d}:{sec:02d}.{micros:06d}Z"

    def seconds(self, t: float) -> str:
        """RFC3339 to the second, as object metadata (creationTimestamp, managedFields) has it."""
        return self.micro(t)[:19] + "Z"

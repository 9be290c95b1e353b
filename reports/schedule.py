"""A GlobalReport's schedule as intervals: pure cron arithmetic, in UTC (Calico's controller runs
its cron in UTC too).

Each fire of the cron ends one interval and starts the next: an interval is
``[previous fire, this fire)``. Calico allows at most 12 minute values in an hour (a report at
most every 5 minutes).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from cronsim import CronSim, CronSimError

MAX_MINUTE_VALUES = 12


class ScheduleError(ValueError):
    pass


def check(expr: str) -> None:
    """Raises ``ScheduleError`` saying what is wrong with a 5-field cron expression."""
    if len(expr.split()) != 5:
        raise ScheduleError(f"{expr!r} is not a 5-field cron expression (minute hour day-of-month month day-of-week)")
    try:
        cron = CronSim(expr, datetime(2000, 1, 1, tzinfo=UTC))
    except CronSimError as exc:
        raise ScheduleError(f"{expr!r} is not a valid cron expression: {exc}") from exc
    if len(cron.minutes) > MAX_MINUTE_VALUES:
        raise ScheduleError(
            f"{expr!r} fires {len(cron.minutes)} times an hour; at most {MAX_MINUTE_VALUES} minute values are "
            "allowed (a report at most every 5 minutes)"
        )


def previous_fire(expr: str, moment: datetime) -> datetime:
    """The latest fire at or before ``moment``."""
    if _fires_at(expr, moment):
        return moment
    return next(CronSim(expr, moment.astimezone(UTC), reverse=True)).astimezone(UTC)


def next_fire(expr: str, moment: datetime) -> datetime:
    """The first fire strictly after ``moment``."""
    return next(CronSim(expr, moment.astimezone(UTC))).astimezone(UTC)


def _fires_at(expr: str, moment: datetime) -> bool:
    if moment.second or moment.microsecond:
        return False
    return next_fire(expr, moment.replace(second=0, microsecond=0) - _MINUTE) == moment


def interval_containing(expr: str, moment: datetime) -> tuple[datetime, datetime]:
    """The interval ``[start, end)`` that ``moment`` falls in."""
    start = previous_fire(expr, moment)
    return start, next_fire(expr, start)


def intervals(expr: str, *, after: datetime, until: datetime) -> Iterator[tuple[datetime, datetime]]:
    """Intervals starting at or after ``after`` (a fire) and ending at or before ``until``,
    oldest first."""
    start = after
    while True:
        end = next_fire(expr, start)
        if end > until:
            return
        yield start, end
        start = end




_MINUTE = timedelta(minutes=1)

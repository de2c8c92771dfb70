"""When events happen: local wall-clock times in the city's own zone, as UTC Unix seconds."""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from app.seed.sampling import Uniform, expand, lognormal_quantiles, pick

DAYS_BEFORE = 7
DAYS_AFTER = 90
# Fridays, Saturdays and Sundays draw more events than weekdays (date.weekday(): Monday is 0).
WEEKDAY_WEIGHTS = (2, 2, 3, 4, 7, 8, 5)
TABLE_SIZE = 1000
MULTI_DAY_SHARE = 0.02
LATE_NIGHT_SHARE = 0.05
SECONDS_PER_DAY = 86_400
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Quarter hours after local midnight: daytime 09:00-17:00, evening 18:00-22:00, late 22:15-23:30.
DAYTIME_STARTS = tuple(range(9 * 60, 17 * 60 + 1, 15))
EVENING_STARTS = tuple(range(18 * 60, 22 * 60 + 1, 15))
LATE_STARTS = tuple(range(22 * 60 + 15, 23 * 60 + 31, 15))


class TimePlanner:
    """Draws (starts, ends) pairs on the days around a fixed reference date."""

    def __init__(self, reference_date: date) -> None:
        self.reference_date = reference_date
        self.days = [reference_date + timedelta(days=offset) for offset in range(-DAYS_BEFORE, DAYS_AFTER + 1)]
        self._day_table = expand([(index, WEEKDAY_WEIGHTS[day.weekday()]) for index, day in enumerate(self.days)])
        # Local midnight of each day, read as if it were UTC (the zone's offset is subtracted later).
        self._midnights = [(day - EPOCH.date()).days * SECONDS_PER_DAY for day in self.days]
        self._offsets: dict[str, list[int]] = {}

    def draw(self, random: Uniform, timezone: str, start_minutes: tuple[int, ...]) -> tuple[int, int]:
        """Start and end (UTC Unix seconds): a start from ``start_minutes`` on a weekend-heavy day."""
        day = pick(random, self._day_table)
        offsets = self._offsets.get(timezone) or self._zone_offsets(timezone)
        start = self._midnights[day] + 60 * pick(random, start_minutes) - offsets[day]
        return start, start + 60 * pick(random, DURATIONS)

    def _zone_offsets(self, timezone: str) -> list[int]:
        offsets = self._offsets[timezone] = [_noon_offset(timezone, day) for day in self.days]
        return offsets


def _noon_offset(timezone: str, day: date) -> int:
    # Events start at 09:00 or later, after any daylight-saving switch of the day (those happen
    # at night), so the offset at noon is the offset of every start on that day.
    noon = datetime(day.year, day.month, day.day, 12, tzinfo=ZoneInfo(timezone))
    offset = noon.utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0


@functools.cache
def start_minutes(daytime_share: float) -> tuple[int, ...]:
    """A draw table of local start times (minutes after midnight): evenings, some daytime, a few late."""
    daytime = round(TABLE_SIZE * daytime_share)
    late = round(TABLE_SIZE * LATE_NIGHT_SHARE)
    evening = TABLE_SIZE - daytime - late
    return (
        tuple(DAYTIME_STARTS[i % len(DAYTIME_STARTS)] for i in range(daytime))
        + tuple(LATE_STARTS[i % len(LATE_STARTS)] for i in range(late))
        + tuple(EVENING_STARTS[i % len(EVENING_STARTS)] for i in range(evening))
    )


def _durations() -> tuple[int, ...]:
    # Mostly 1.5-3 hours (log-normal, 1 to 6 hours); a few festivals and fairs run 1-4 more days.
    multi_day = round(TABLE_SIZE * MULTI_DAY_SHARE)
    hours = lognormal_quantiles(1.6, 0.35, TABLE_SIZE - multi_day)
    short = [30 * max(2, min(12, round(value))) for value in hours]
    long = [(1 + i % 4) * 24 * 60 + 30 * (2 + (7 * i) % 11) for i in range(multi_day)]
    return tuple(short + long)


DURATIONS = _durations()


def to_datetime(unix_seconds: int) -> datetime:
    """A UTC Unix time as an aware datetime."""
    return EPOCH + timedelta(seconds=unix_seconds)

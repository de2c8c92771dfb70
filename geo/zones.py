"""The IANA time zone at a point, offline (``timezonefinder``'s polygons of the tz boundary data).

At sea it answers the nautical zone (``Etc/GMT±N``). The finder's data is memory-mapped once per
process on first use (tens of milliseconds); a lookup then costs a few microseconds.
"""

from __future__ import annotations

from functools import cache

from timezonefinder import TimezoneFinder


@cache
def _finder() -> TimezoneFinder:
    return TimezoneFinder()


def zone_at(lat: float, lon: float) -> str:
    """The zone whose boundary holds the point (``Etc/GMT±N`` at sea; ``UTC`` if the data has none)."""
    return _finder().timezone_at(lng=lon, lat=lat) or "UTC"

"""Local wall-clock times to instants, deliberately across daylight-saving changes.

Organizers enter times as they read them on the wall where the event happens. Two kinds of local
time are not one instant:

- **a gap** (clocks go forward: 02:30 on the last Sunday of March does not exist in Paris): refused
  with 422 ``invalid-local-time``, naming the first valid time after it. Shifting silently would
  publish a time the organizer never wrote.
- **a fold** (clocks go back: 02:30 happens twice in late October): the *first* of the two
  instants (still in summer time), as RFC 5545 says for recurring times and as people expect
  ("doors at 02:30" means the first time the clock shows it).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from app.events.errors import InvalidLocalTime


def to_instant(local: datetime, zone: str, param: str) -> datetime:
    """The UTC instant of the naive ``local`` time in ``zone``; 422 (naming ``param``) in a gap."""
    tz = ZoneInfo(zone)
    first = local.replace(tzinfo=tz, fold=0)
    if first.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != local:
        after = _first_valid_after(local, tz)
        raise InvalidLocalTime(
            f"{local.isoformat()} does not exist in {zone}: the clocks skip it (daylight saving time); "
            f"the first valid time after it is {after.isoformat()}",
            param=param,
        )
    return first.astimezone(UTC)


def to_local(instant: datetime, zone: str) -> datetime:
    """The naive wall-clock time of ``instant`` in ``zone``."""
    return instant.astimezone(ZoneInfo(zone)).replace(tzinfo=None)


def _first_valid_after(local: datetime, tz: ZoneInfo) -> datetime:
    # Gaps are whole minutes (at most a few hours): the first minute whose round trip holds.
    probe = local.replace(second=0, microsecond=0)
    for _ in range(24 * 60):
        probe += timedelta(minutes=1)
        if probe.replace(tzinfo=tz).astimezone(UTC).astimezone(tz).replace(tzinfo=None) == probe:
            return probe
    return probe

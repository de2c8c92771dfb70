"""RFC 5545 recurrence rules: validate, bound and expand them in local wall-clock time. No I/O.

Parsing and expansion are python-dateutil's (``rrulestr``); this module first reads the rule's parts
itself to refuse what the service does not support with a message naming the part, to normalise
``UNTIL`` and to make sure an expansion ends:

- ``FREQ`` is DAILY, WEEKLY, MONTHLY or YEARLY (an event lasts hours: nothing finer).
- Supported parts: INTERVAL (1-1000), COUNT, UNTIL, BYDAY, BYMONTHDAY, BYMONTH, BYSETPOS, WKST.
  BYHOUR/BYMINUTE/BYSECOND (the time of day is the start's), BYWEEKNO and BYYEARDAY are refused.
- ``UNTIL`` may be a UTC instant (``...Z``, as RFC 5545 asks with a zoned start), a local date-time,
  or a date (inclusive: the whole local day). It is stored as a UTC instant.
- A rule that can never happen (``BYMONTH=2;BYMONTHDAY=30``, a 6th Monday) is refused before
  dateutil would walk to year 9999 looking for it.

Expansion happens on naive local date-times (the series' wall clock); each start becomes an instant
with ``to_instant``. Daylight-saving time (RFC 5545 §3.3.5): a wall-clock time that does not exist
(the spring gap) is read with the offset before the gap, so 02:30 on the night clocks go from 02:00
to 03:00 becomes 03:30; a time that happens twice (the autumn fold) is its first occurrence.
``zoneinfo`` does exactly this with ``fold=0``.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rrulestr

FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
SUPPORTED = {"FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY", "BYMONTHDAY", "BYMONTH", "BYSETPOS", "WKST"}
REFUSED = {
    "BYHOUR": "the time of day comes from the start; make one series per time",
    "BYMINUTE": "the time of day comes from the start; make one series per time",
    "BYSECOND": "the time of day comes from the start; make one series per time",
    "BYWEEKNO": "week numbers are not supported; use BYMONTH/BYMONTHDAY/BYDAY",
    "BYYEARDAY": "days of the year are not supported; use BYMONTH/BYMONTHDAY",
    "RDATE": "extra dates are not supported",
    "EXRULE": "exclusion rules are deprecated by RFC 5545; use exdates",
}
MAX_INTERVAL = 1000
_DAY = re.compile(r"^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$")
_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
# The most starts one period of each frequency can hold (bounds BYSETPOS).
_MAX_POSITION = {"DAILY": 1, "WEEKLY": 7, "MONTHLY": 31, "YEARLY": 366}
_MAX_NTH_DAY = {"MONTHLY": 5, "YEARLY": 53}


class RuleError(ValueError):
    """The rule is malformed, unsupported or too long; the message says which part and why."""


@dataclass(frozen=True, slots=True)
class Rule:
    """A validated rule: its canonical text (UNTIL in UTC) and its parts."""

    text: str
    parts: dict[str, str]

    @property
    def count(self) -> int | None:
        return int(self.parts["COUNT"]) if "COUNT" in self.parts else None

    @property
    def until(self) -> datetime | None:
        value = self.parts.get("UNTIL")
        return None if value is None else datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)

    @property
    def bounded(self) -> bool:
        return "COUNT" in self.parts or "UNTIL" in self.parts


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One start the rule gives: its local wall-clock time and the instant (the RECURRENCE-ID)."""

    local: datetime
    instant: datetime


def parse_rule(text: str, zone: ZoneInfo) -> Rule:
    """Validate ``text`` (``FREQ=...`` with or without ``RRULE:``); ``zone`` reads a local UNTIL."""
    body = text.strip()
    if body.upper().startswith("RRULE:"):
        body = body[6:]
    if not body or "\n" in body or len(body) > 500:
        raise RuleError("an RRULE is one line of at most 500 characters, e.g. FREQ=WEEKLY;BYDAY=TU")
    parts: dict[str, str] = {}
    for item in body.split(";"):
        name, sep, value = item.partition("=")
        name, value = name.strip().upper(), value.strip().upper()
        if not sep or not name or not value:
            raise RuleError(f"{item!r} is not NAME=VALUE")
        if name in REFUSED:
            raise RuleError(f"{name} is not supported: {REFUSED[name]}")
        if name not in SUPPORTED:
            raise RuleError(f"{name} is not an RRULE part this service knows")
        if name in parts:
            raise RuleError(f"{name} is given twice")
        parts[name] = value
    _check_parts(parts)
    if "UNTIL" in parts:
        parts["UNTIL"] = _until_utc(parts["UNTIL"], zone).strftime("%Y%m%dT%H%M%SZ")
    ordered = ["FREQ", *sorted(k for k in parts if k != "FREQ")]
    return Rule(";".join(f"{k}={parts[k]}" for k in ordered), {k: parts[k] for k in ordered})


def _check_parts(parts: dict[str, str]) -> None:
    freq = parts.get("FREQ")
    if freq is None:
        raise RuleError("FREQ is required (DAILY, WEEKLY, MONTHLY or YEARLY)")
    if freq not in FREQUENCIES:
        raise RuleError(f"FREQ={freq} is not supported: use DAILY, WEEKLY, MONTHLY or YEARLY")
    if "COUNT" in parts and "UNTIL" in parts:
        raise RuleError("COUNT and UNTIL must not both be given (RFC 5545)")
    _int_part(parts, "INTERVAL", 1, MAX_INTERVAL)
    _int_part(parts, "COUNT", 1, 100_000)
    for day in _list(parts, "BYDAY"):
        match = _DAY.match(day)
        if match is None:
            raise RuleError(f"BYDAY={day} is not a weekday (MO..SU, optionally with an ordinal such as 2TU or -1FR)")
        if match.group(1) is not None:
            nth, limit = abs(int(match.group(1))), _MAX_NTH_DAY.get(freq)
            if limit is None:
                raise RuleError(f"BYDAY={day}: an ordinal weekday needs FREQ=MONTHLY or YEARLY")
            if not 1 <= nth <= limit:
                raise RuleError(f"BYDAY={day}: the ordinal must be between 1 and {limit} (or negative)")
    months = [_int(m, "BYMONTH", 1, 12) for m in _list(parts, "BYMONTH")]
    monthdays = [_int(d, "BYMONTHDAY", -31, 31, nonzero=True) for d in _list(parts, "BYMONTHDAY")]
    most = _set_size(freq, _list(parts, "BYDAY"), monthdays, months)
    for pos in _list(parts, "BYSETPOS"):
        _int(pos, "BYSETPOS", -most, most, nonzero=True)
    if "WKST" in parts and parts["WKST"] not in _WEEKDAYS:
        raise RuleError(f"WKST={parts['WKST']} is not a weekday (MO..SU)")
    if monthdays and not any(abs(d) <= _longest(m) for d in monthdays for m in months or range(1, 13)):
        raise RuleError("BYMONTHDAY never falls in BYMONTH: the rule would never happen")


def _set_size(freq: str, days: list[str], monthdays: list[int], months: list[int]) -> int:
    """An upper bound on the starts one period gives (a BYSETPOS past it never matches)."""
    most = _MAX_POSITION[freq]
    if days and all(day in _WEEKDAYS for day in days):
        most = min(most, len(days) * {"DAILY": 1, "WEEKLY": 1, "MONTHLY": 5, "YEARLY": 53}[freq])
    if monthdays and freq in ("MONTHLY", "YEARLY"):
        most = min(most, len(monthdays) * (1 if freq == "MONTHLY" else len(months) or 12))
    return most


def _longest(month: int) -> int:
    return 29 if month == 2 else calendar.monthrange(2001, month)[1]


def _list(parts: dict[str, str], name: str) -> list[str]:
    value = parts.get(name)
    if value is None:
        return []
    items = value.split(",")
    if len(items) > 31 or any(not item for item in items):
        raise RuleError(f"{name} is a comma-separated list of at most 31 values")
    return items


def _int(value: str, name: str, low: int, high: int, *, nonzero: bool = False) -> int:
    try:
        number = int(value)
    except ValueError:
        raise RuleError(f"{name}={value} is not an integer") from None
    if not low <= number <= high or (nonzero and number == 0):
        raise RuleError(f"{name}={value} is out of range ({low}..{high}{', not 0' if nonzero else ''})")
    return number


def _int_part(parts: dict[str, str], name: str, low: int, high: int) -> None:
    if name in parts:
        _int(parts[name], name, low, high)


def _until_utc(value: str, zone: ZoneInfo) -> datetime:
    """UNTIL as an instant: ``...Z`` is one; a local date-time or a date (to its last second) is local."""
    for fmt, local in (("%Y%m%dT%H%M%SZ", False), ("%Y%m%dT%H%M%S", True), ("%Y%m%d", True)):
        try:
            parsed = datetime.strptime(value, fmt)
        except ValueError:
            continue
        if fmt == "%Y%m%d":
            parsed = parsed + timedelta(days=1, seconds=-1)
        return to_instant(parsed, zone) if local else parsed.replace(tzinfo=UTC)
    raise RuleError(f"UNTIL={value} is not a date (YYYYMMDD) or date-time (YYYYMMDDTHHMMSS[Z])")


def to_instant(local: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant of a local wall-clock time (DST: a gap's time moves forward, a fold's is the first)."""
    return local.replace(tzinfo=zone, fold=0).astimezone(UTC)


def to_local(instant: datetime, zone: ZoneInfo) -> datetime:
    """The naive local wall-clock time of an instant."""
    return instant.astimezone(zone).replace(tzinfo=None)


def build(rule: Rule, start_local: datetime, zone: ZoneInfo) -> rrule:
    """dateutil's rule over naive local times (its UNTIL turned into local time too)."""
    parts = dict(rule.parts)
    if rule.until is not None:
        parts["UNTIL"] = to_local(rule.until, zone).strftime("%Y%m%dT%H%M%S")
    text = ";".join(f"{k}={v}" for k, v in parts.items())
    try:
        built = rrulestr(text, dtstart=start_local.replace(tzinfo=None))
    except (ValueError, TypeError) as exc:
        raise RuleError(f"the RRULE could not be read: {exc}") from None
    assert isinstance(built, rrule)
    return built


def occurrences(
    rule: Rule, start_local: datetime, zone: ZoneInfo, *, exdates: Iterable[datetime] = (), before: datetime
) -> Iterator[Occurrence]:
    """The rule's starts whose instant is before ``before`` (an instant), minus the local ``exdates``."""
    skipped = set(exdates)
    for local in build(rule, start_local, zone):
        instant = to_instant(local, zone)
        if instant >= before:
            return
        if local not in skipped:
            yield Occurrence(local, instant)


def check_size(
    rule: Rule, start_local: datetime, zone: ZoneInfo, *, horizon_end: datetime, limit: int
) -> datetime | None:
    """Refuse a rule giving no start or more than ``limit``; the last start of a bounded rule.

    A bounded rule is counted to its end (at most ``limit`` + 1 steps); an unbounded one is capped at
    the horizon, as the materialised occurrences are, and must fit the limit there (``None`` returned).
    """
    end = datetime.max.replace(tzinfo=UTC) if rule.bounded else horizon_end
    total, last = 0, None
    for found in occurrences(rule, start_local, zone, before=end):
        total, last = total + 1, found.instant
        if total > limit:
            scope = "in all" if rule.bounded else "within the horizon"
            raise RuleError(f"the rule gives more than {limit} occurrences {scope}; shorten it (COUNT or UNTIL)")
    if last is None:
        raise RuleError("the rule gives no occurrence before the horizon (is its UNTIL before the start?)")
    return last if rule.bounded else None

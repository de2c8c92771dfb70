"""Reading an iCalendar file (RFC 5545) into import items: pure, no I/O, every event either an item
or a skip with its reason.

Decisions (docs/ARCHITECTURE.md, "Calendar imports"):
- Bytes: UTF-8 (a BOM is dropped); anything else is read as Windows-1252, the usual culprit.
- A file that is not a VCALENDAR at all, or that the parser cannot read, is refused whole
  (``CalendarUnreadable``); one broken VEVENT is skipped with the parser's reason.
- Zones: an IANA TZID as is; a Windows name ("W. Europe Standard Time") through icalendar's CLDR
  table; another zone the file defines in its VTIMEZONE gives the instant, and the event takes the
  zone of its place. Floating times (no TZID, no Z) are wall-clock times in the zone the import
  names, else the calendar's X-WR-TIMEZONE, else the zone of the event's place.
- All-day events (DATE values) run from local midnight of the first day to local midnight after the
  last (DTEND is exclusive, RFC 5545 3.6.1); without DTEND or DURATION they last one day. A timed
  event without DTEND or DURATION ends when it starts (RFC 5545 3.6.1).
- RRULE: one rule per event, validated later by ``app.series.rules``; EXDATEs become the series'
  exdates; each RDATE becomes a one-off event of its own (a series holds one rule, no extra dates).
  A VEVENT with RECURRENCE-ID changes one occurrence (a series override).
- Each item carries a content hash: a re-import with the same hash is reported unchanged.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from icalendar import Calendar, Component
from icalendar.error import GloballyUniqueTZIDGuessed
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

Kind = Literal["event", "series", "override", "extra"]
MAX_TEXT = 20_000
MAX_TITLE = 200


class CalendarUnreadable(ValueError):
    """The whole file cannot be read as a calendar; the message says why."""


@dataclass(frozen=True, slots=True)
class Item:
    """One thing to import. ``start``/``end`` are naive local times in ``zone`` (or floating when
    ``zone`` is None), or aware instants when the file's own VTIMEZONE gave them (``zone`` None)."""

    uid: str
    key: str  # "" for the event or series itself, the RECURRENCE-ID of an override, "rdate:…" of an extra
    kind: Kind
    title: str
    description: str
    start: datetime
    end: datetime
    zone: str | None
    all_day: bool
    location: str
    geo: tuple[float, float] | None
    cancelled: bool
    url: str
    categories: tuple[str, ...] = ()
    rrule: str | None = None
    exdates: tuple[datetime, ...] = ()
    recurrence_id: datetime | None = None  # aware instant, or naive local in the series' zone

    @property
    def content_hash(self) -> str:
        data = asdict(self)
        return hashlib.sha256(json.dumps(data, default=str, sort_keys=True).encode()).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class Skip:
    uid: str
    key: str
    title: str
    reason: str


@dataclass(slots=True)
class Parsed:
    items: list[Item] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)
    default_zone: str | None = None  # X-WR-TIMEZONE
    name: str = ""


def decode(body: bytes) -> str:
    """The file's text: UTF-8 (BOM dropped) or else Windows-1252 (bytes it lacks read as Latin-1)."""
    if body.startswith(b"\xef\xbb\xbf"):
        body = body[3:]
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return "".join(_cp1252(b) for b in body)


def _cp1252(byte: int) -> str:
    try:
        return bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:
        return chr(byte)


def parse_calendar(body: bytes, *, max_items: int) -> Parsed:
    """Every VEVENT of ``body`` as items or skips; ``CalendarUnreadable`` when no calendar is there."""
    text = decode(body).replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n")
    if not text.lstrip().upper().startswith("BEGIN:VCALENDAR"):
        raise CalendarUnreadable("the file is not an iCalendar file: it does not begin with BEGIN:VCALENDAR")
    try:
        with warnings.catch_warnings():
            # A vendor-prefixed TZID ("/freeassociation.sourceforge.net/…/Europe/Madrid") read by its
            # IANA tail is what this module wants too (``iana_zone``): not worth a warning per file.
            warnings.simplefilter("ignore", GloballyUniqueTZIDGuessed)
            calendars = Calendar.from_ical(text.lstrip(), multiple=True)
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise CalendarUnreadable(f"the calendar could not be read: {exc}") from None
    if not calendars:
        raise CalendarUnreadable("the file holds no VCALENDAR")
    parsed = Parsed()
    calendar = calendars[0]
    parsed.default_zone = iana_zone(str(calendar.get("X-WR-TIMEZONE", "")).strip())
    parsed.name = str(calendar.get("X-WR-CALNAME", ""))[:200]
    seen: set[tuple[str, str]] = set()
    for component in (c for cal in calendars for c in cal.walk("VEVENT")):
        for found in _items(component):
            uid, key = found.uid, found.key
            if (uid, key) in seen:
                parsed.skipped.append(Skip(uid, key, found.title, "duplicate UID (and RECURRENCE-ID) in the file"))
            elif isinstance(found, Skip):
                parsed.skipped.append(found)
            elif len(parsed.items) >= max_items:
                parsed.skipped.append(Skip(uid, key, found.title, f"more than {max_items} events in one import"))
            else:
                parsed.items.append(found)
            seen.add((uid, key))
    return parsed


def _items(event: Component) -> Iterator[Item | Skip]:
    title = _text(event.get("SUMMARY"))[:MAX_TITLE] or "Untitled event"
    uid = _text(event.get("UID"))[:300]
    if not uid:  # RFC 5545 requires one; some exports omit it: a stable one from the content
        uid = "nouid-" + hashlib.sha256(event.to_ical()).hexdigest()[:24]
    errors = getattr(event, "errors", None)
    try:
        start, start_zone, all_day = _when(event, "DTSTART")
    except _Bad as exc:
        yield Skip(uid, "", title, str(exc))
        return
    rid_value = event.get("RECURRENCE-ID")
    key = "" if rid_value is None else _key_of(rid_value.dt)
    if errors and not start:
        yield Skip(uid, key, title, f"unreadable: {errors}")
        return
    try:
        end = _end(event, start, all_day)
    except _Bad as exc:
        yield Skip(uid, key, title, str(exc))
        return
    if end < start:
        yield Skip(uid, key, title, "DTEND is before DTSTART")
        return
    rrules = event.get("RRULE")
    if isinstance(rrules, list):
        if len(rrules) > 1:
            yield Skip(uid, key, title, "more than one RRULE (a series follows one rule)")
            return
        rrules = rrules[0]
    rrule = None if rrules is None or rid_value is not None else rrules.to_ical().decode()
    geo = event.get("GEO")
    point = None if geo is None else (float(geo.latitude), float(geo.longitude))
    point = point or _apple_geo(event)
    base = Item(
        uid=uid, key=key, kind="event", title=title, description=_text(event.get("DESCRIPTION"))[:MAX_TEXT],
        start=start, end=end, zone=start_zone, all_day=all_day, location=_text(event.get("LOCATION"))[:500],
        geo=point,
        cancelled=str(event.get("STATUS", "")).upper() == "CANCELLED", url=_text(event.get("URL"))[:500],
        categories=tuple(_categories(event)),
    )  # fmt: skip
    if rid_value is not None:
        yield _replace(base, kind="override", recurrence_id=_rid(rid_value.dt))
        return
    if rrule is not None:
        exdates = tuple(sorted({_local(d, start_zone) for d in _dates(event, "EXDATE")}))
        yield _replace(base, kind="series", rrule=rrule, exdates=exdates)
    else:
        yield base
    for extra in _dates(event, "RDATE"):
        aware = start.tzinfo is not None and isinstance(extra, datetime) and extra.tzinfo is not None
        local_start = extra.astimezone(UTC) if aware and isinstance(extra, datetime) else _local(extra, start_zone)
        if local_start == start:
            continue
        yield _replace(
            base, key=f"rdate:{_key_of(extra)}", kind="extra", start=local_start, end=local_start + (end - start)
        )


def _apple_geo(event: Component) -> tuple[float, float] | None:
    """Apple Calendar's X-APPLE-STRUCTURED-LOCATION (``geo:lat,lon``) when there is no GEO."""
    value = _text(event.get("X-APPLE-STRUCTURED-LOCATION"))
    if not value.startswith("geo:"):
        return None
    try:
        lat, lon = (float(x) for x in value[4:].split(";")[0].split(",")[:2])
    except ValueError:
        return None
    return (lat, lon) if -90 <= lat <= 90 and -180 <= lon <= 180 else None


def _replace(item: Item, **changes: Any) -> Item:
    return Item(**{**asdict(item), **changes})


class _Bad(ValueError):
    pass


def _when(event: Component, name: str) -> tuple[datetime, str | None, bool]:
    """A start: (naive local or aware instant, IANA zone or None, all day)."""
    prop = event.get(name)
    if prop is None:
        raise _Bad(f"no {name}")
    try:
        value = prop.dt
    except (AttributeError, ValueError) as exc:
        raise _Bad(f"{name} is not a date or date-time: {exc}") from None
    if isinstance(value, datetime):
        return _split(value, str(prop.params.get("TZID", "")))
    if isinstance(value, date):
        return datetime.combine(value, datetime.min.time()), None, True
    raise _Bad(f"{name} is not a date or date-time")


def _split(value: datetime, tzid: str) -> tuple[datetime, str | None, bool]:
    if value.tzinfo is None:
        zone = iana_zone(tzid) if tzid else None  # a TZID without its VTIMEZONE: its name may still say
        return value, zone, False
    zone = iana_zone(tzid) or _zone_key(value.tzinfo)
    if zone is not None:
        return value.astimezone(ZoneInfo(zone)).replace(tzinfo=None), zone, False
    return value.astimezone(UTC), None, False


def _end(event: Component, start: datetime, all_day: bool) -> datetime:
    if event.get("DTEND") is not None:
        end, _, end_all_day = _when(event, "DTEND")
        if (end.tzinfo is None) != (start.tzinfo is None):
            raise _Bad("DTSTART and DTEND are in zones of different kinds (one the file's own)")
        if all_day and not end_all_day:
            raise _Bad("DTSTART is a date but DTEND a date-time")
        return end
    duration = event.get("DURATION")
    if duration is not None:
        try:
            span = duration.dt
        except (AttributeError, ValueError):
            raise _Bad("DURATION is not a duration") from None
        if not isinstance(span, timedelta) or span < timedelta(0):
            raise _Bad("DURATION is not a positive duration")
        return start + span
    return start + (timedelta(days=1) if all_day else timedelta(0))


def iana_zone(tzid: str) -> str | None:
    """The IANA name a TZID stands for: itself, a Windows name, or a path ending in one."""
    if not tzid:
        return None
    tzid = tzid.strip().strip('"')
    candidates = [tzid, WINDOWS_TO_OLSON.get(tzid, ""), "/".join(tzid.split("/")[-2:]), "/".join(tzid.split("/")[-3:])]
    for name in candidates:
        if (name and "/" in name) or name == "UTC":
            try:
                ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
            return name
    return None


def _zone_key(value: tzinfo) -> str | None:
    key = getattr(value, "key", None)
    if isinstance(key, str):
        return iana_zone(key)
    zone = getattr(value, "zone", None)  # pytz
    if isinstance(zone, str):
        return iana_zone(zone)
    return "UTC" if value.utcoffset(None) == timedelta(0) and str(value) in ("UTC", "tzutc()") else None


def _dates(event: Component, name: str) -> list[date]:
    found: list[date] = []
    values = event.get(name)
    for prop in values if isinstance(values, list) else [values] if values is not None else []:
        for one in getattr(prop, "dts", []):
            found.append(one.dt)
    return found[:1000]


def _local(value: date, zone: str | None) -> datetime:
    if not isinstance(value, datetime):
        return datetime.combine(value, datetime.min.time())
    if value.tzinfo is None:
        return value
    return value.astimezone(ZoneInfo(zone)).replace(tzinfo=None) if zone else value.astimezone(UTC)


def _rid(value: date) -> datetime:
    if not isinstance(value, datetime):
        return datetime.combine(value, datetime.min.time())
    return value if value.tzinfo is None else value.astimezone(UTC)


def _key_of(value: date) -> str:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    if isinstance(value, datetime):
        return value.strftime("%Y%m%dT%H%M%S")
    return value.strftime("%Y%m%d")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value).replace("\x00", "").strip()


def _categories(event: Component) -> list[str]:
    values = event.get("CATEGORIES")
    names: list[str] = []
    for prop in values if isinstance(values, list) else [values] if values is not None else []:
        names += [str(c).strip().lower() for c in getattr(prop, "cats", [])]
    return names[:20]

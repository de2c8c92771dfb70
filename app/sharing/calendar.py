"""Events as iCalendar (RFC 5545): one event, an organizer's events, a search, a person's events.

Pure functions over rows of ``repository``: no I/O, testable with a real parser. Times are written
in the event's own zone (``DTSTART;TZID=…``) with the zone's VTIMEZONE, so a calendar app shows the
wall-clock time the organizer meant even where the viewer's zone differs. The VTIMEZONE covers the
years the feed's events span (a narrow range: the library's default writes decades of rules).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vGeo, vRecur

from app.sharing.slugs import slugify

PRODUCT_ID = "-//Happenings//Happenings events//EN"


@dataclass(frozen=True, slots=True)
class FeedInfo:
    """What a feed says about itself: its name, where its events' pages live, when it was made."""

    name: str
    base_url: str  # absolute, no trailing slash: event pages are {base_url}/e/{id}-{slug}
    generated_at: datetime
    refresh_minutes: int = 60


def calendar_bytes(rows: Iterable[Mapping[str, Any]], feed: FeedInfo) -> bytes:
    """The iCalendar document of ``rows`` (already bounded and ordered by the caller)."""
    calendar = _calendar(feed)
    years: list[int] = []
    for row in rows:
        url = page_url(feed.base_url, row)
        calendar.add_component(calendar_event(row, url, feed.base_url, feed.generated_at))
        years.append(row["starts_at"].year)
    return _document(calendar, years)


def series_calendar_bytes(series: Mapping[str, Any], overrides: Iterable[Mapping[str, Any]], feed: FeedInfo) -> bytes:
    """A whole series as RFC 5545 writes one: a master VEVENT with DTSTART in the series' zone,
    RRULE and EXDATE; each occurrence changed on its own (moved, elsewhere, renamed, cancelled) a
    VEVENT of the same UID with its RECURRENCE-ID (the start the rule gave it)."""
    zone = ZoneInfo(series["timezone"])
    start = series["dtstart_local"].replace(tzinfo=zone)
    uid = f"{series['id']}@{_host(feed.base_url)}"
    master_row = {
        **series, "starts_at": start, "ends_at": (series["dtstart_local"] + series["duration"]).replace(tzinfo=zone),
        "recurrence_id": None, "updated_at": series["rows_updated_at"] or series["updated_at"],
    }  # fmt: skip
    url = page_url(feed.base_url, {"id": series["first_id"] or series["id"], "title": series["title"]})
    master = calendar_event(master_row, url, feed.base_url, feed.generated_at)
    master["UID"] = uid
    master.add("rrule", vRecur.from_ical(series["rrule"]))
    if series["exdates"]:
        master.add("exdate", [d.replace(tzinfo=zone) for d in sorted(series["exdates"])])
    calendar = _calendar(feed)
    calendar.add_component(master)
    years = [start.year]
    for row in overrides:
        one = calendar_event(row, page_url(feed.base_url, row), feed.base_url, feed.generated_at)
        one["UID"] = uid
        del one["X-HAPPENINGS-SERIES"]
        one.add("recurrence-id", row["recurrence_id"].astimezone(zone))
        calendar.add_component(one)
        years.append(row["starts_at"].year)
    return _document(calendar, years)


def _calendar(feed: FeedInfo) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", feed.name)
    calendar.add("name", feed.name)
    calendar.add("refresh-interval", timedelta(minutes=feed.refresh_minutes), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", timedelta(minutes=feed.refresh_minutes))
    return calendar


def _document(calendar: Calendar, years: list[int]) -> bytes:
    if years:
        calendar.add_missing_timezones(first_date=date(min(years) - 1, 1, 1), last_date=date(max(years) + 2, 1, 1))
    document: bytes = calendar.to_ical()
    return document


def calendar_event(row: Mapping[str, Any], url: str, base_url: str, stamp: datetime) -> Event:
    """One VEVENT: UID stable per event, SEQUENCE from the event's version, STATUS, GEO unless approximate."""
    zone = ZoneInfo(row["timezone"])
    event = Event()
    event.add("uid", f"{row['id']}@{_host(base_url)}")
    event.add("dtstamp", stamp.astimezone(UTC))
    event.add("dtstart", row["starts_at"].astimezone(zone))
    event.add("dtend", row["ends_at"].astimezone(zone))
    event.add("summary", row["title"])
    organizer = f"Organized by {row['organizer_name']}" if row.get("organizer_name") else ""
    lines = [row.get("description") or "", organizer, url]
    event.add("description", "\n\n".join(line for line in lines if line))
    event.add("url", url)
    event.add("sequence", int(row["sequence"]))
    event.add("status", "CANCELLED" if row["status"] == "cancelled" else "CONFIRMED")
    event.add("created", row["created_at"].astimezone(UTC))
    event.add("last-modified", row["updated_at"].astimezone(UTC))
    event.add("categories", [row["category"]])
    event.add("transp", "OPAQUE")
    location = place_text(row)
    if location:
        event.add("location", location)
    if row.get("lat") is not None and row.get("lon") is not None:
        event.add("geo", vGeo((float(row["lat"]), float(row["lon"]))))
    if row.get("recurrence_id") is not None:
        # An occurrence of a series stands alone in these feeds (its own UID); the series feed
        # writes the rule instead.
        event.add("x-happenings-series", str(row["series_id"]))
    return event


def place_text(row: Mapping[str, Any]) -> str:
    """ "Venue, address, city" as far as known (only the city for an approximate location)."""
    parts = [row.get("venue_name"), row.get("venue_address"), row.get("venue_city")]
    seen: list[str] = []
    for part in parts:
        if part and part not in seen:
            seen.append(part)
    return ", ".join(seen)


def _host(base_url: str) -> str:
    return base_url.split("://", 1)[-1].split("/", 1)[0] or "happenings"


def page_url(base_url: str, row: Mapping[str, Any]) -> str:
    """The canonical address of an event's page."""
    return f"{base_url}/e/{row['id']}-{slugify(row['title'])}"

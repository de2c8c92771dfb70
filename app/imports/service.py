"""The rules of calendar imports: submit (checked at once, run later), and apply one entry.

Decisions (docs/ARCHITECTURE.md, "Calendar imports"):
- A submit checks what is cheap at once: an uploaded file is parsed (a file that cannot be read at
  all is a 422 and nothing is written); a URL must be http(s) and, when its host is an address,
  a public one. The import itself is a job the worker runs (``tasks.run_imports``).
- Idempotent by (source, UID, key): an entry already imported with the same content hash is
  unchanged; a changed one updates its event (only the fields that differ) or its series.
- Imported events are drafts unless the import says ``publish``; an entry cancelled in the source
  cancels its published event, and is skipped when it would be new.
- Places: GEO when given, else LOCATION geocoded (the venues' geocoder; offline GeoNames by
  default: a town named in the text); the venue is the organizer's one of the same name within
  ``same_venue_within_m``, else a new one. Without either, the entry is skipped with the reason.
- A subscribed URL's entries that disappear from it are cancelled (published) or left as drafts,
  never deleted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import anyio.to_thread

from app.db import Conn
from app.events import service as events
from app.events.changes import EventChange
from app.events.publishing_schemas import Recurrence
from app.events.schemas import EventCreate, EventUpdate, Point
from app.imports import repository
from app.imports.errors import CalendarRefused, CalendarTooLarge
from app.imports.fetch import FetchRefused, check_address
from app.imports.parse import CalendarUnreadable, Item, Parsed, parse_calendar
from app.series import service as series_service
from app.series.rules import to_instant
from app.series.schemas import SeriesCreate
from app.venues import repository as venues
from app.venues.geocoding import Geocoder
from app.web.places import nearest_town
from config.settings import ImportSettings, SeriesSettings, VenueSettings
from geo.geocoding import normal_name
from geo.zones import zone_at

CATEGORY_WORDS = {
    "music": "music", "concert": "music", "jazz": "music", "party": "nightlife", "club": "nightlife",
    "theatre": "arts", "theater": "arts", "art": "arts", "arts": "arts", "exhibition": "arts", "film": "film",
    "cinema": "film", "movie": "film", "food": "food", "drink": "food", "sport": "sports", "sports": "sports",
    "running": "sports", "hiking": "outdoors", "outdoors": "outdoors", "family": "family", "kids": "family",
    "tech": "tech", "technology": "tech", "meetup": "tech", "market": "markets", "markets": "markets",
    "yoga": "wellness", "wellness": "wellness", "health": "wellness",
}  # fmt: skip
DEFAULT_CATEGORY = "community"


async def read_file(body: bytes, settings: ImportSettings) -> Parsed:
    """The uploaded file parsed (in a thread); 413 or 422 when it cannot be imported at all."""
    if len(body) > settings.max_bytes:
        raise CalendarTooLarge(f"the file is {len(body)} bytes; at most {settings.max_bytes} are read")
    try:
        return await anyio.to_thread.run_sync(lambda: parse_calendar(body, max_items=settings.max_events))
    except CalendarUnreadable as exc:
        raise CalendarRefused(str(exc), param="file") from None


def check_url(url: str) -> None:
    """What can be told of a URL without the network: http(s), a host, not a private address literal."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https", "webcal") or not parts.hostname:
        raise CalendarRefused("the URL must be an absolute http, https or webcal URL", param="url")
    try:
        import ipaddress

        ipaddress.ip_address(parts.hostname)
    except ValueError:
        return
    try:
        check_address(parts.hostname)
    except FetchRefused as exc:
        raise CalendarRefused(str(exc), param="url") from None


def fetchable(url: str) -> str:
    """webcal:// is https:// (calendar apps' scheme for subscriptions)."""
    return "https://" + url[len("webcal://") :] if url.startswith("webcal://") else url


async def submit(
    conn: Conn, organizer_id: UUID, *, body: bytes | None, url: str | None, subscribe: bool,
    timezone: str | None, publish: bool, now: datetime,
) -> UUID:  # fmt: skip
    source = await repository.source(conn, organizer_id, url, subscribe and url is not None)
    values = {
        "source_id": source["id"], "organizer_id": organizer_id, "body": body, "timezone": timezone,
        "publish": publish, "now": now,
    }  # fmt: skip
    return await repository.insert_job(conn, values)


# ------------------------------------------------------------------------------------------- applying


@dataclass(slots=True)
class Run:
    """What applying a file's entries needs, and what it did."""

    conn: Conn
    source_id: UUID
    organizer_id: UUID
    publish: bool
    timezone: str | None
    default_zone: str | None
    geocoder: Geocoder
    venue_settings: VenueSettings
    series_settings: SeriesSettings
    now: datetime
    changes: list[EventChange] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Outcome:
    outcome: str  # created, updated, unchanged, skipped, cancelled
    reason: str = ""
    event_id: UUID | None = None
    series_id: UUID | None = None


class Skipped(Exception):
    """The entry is not imported; the message says why."""


async def apply(run: Run, item: Item) -> Outcome:
    """Create, update or leave one entry; ``Skipped`` (or a ``ProblemError``) when it cannot be imported."""
    link = await repository.link_of(run.conn, run.source_id, item.uid, item.key)
    if link is not None and link["content_hash"] == item.content_hash and not link["gone"]:
        return Outcome("unchanged", "", link["event_id"], link["series_id"])
    if item.kind == "override":
        return await _override(run, item, link)
    place = await _place(run, item)
    if place is None and link is None:
        raise Skipped("no place: no GEO, and the LOCATION text names no town the geocoder knows")
    if item.kind == "series":
        return await _series(run, item, link, place)
    return await _one_off(run, item, link, place)


@dataclass(frozen=True, slots=True)
class Place:
    point: Point
    venue_id: UUID | None
    zone: str


async def _place(run: Run, item: Item) -> Place | None:
    point = None if item.geo is None else Point(lat=item.geo[0], lon=item.geo[1])
    if point is None and item.location:
        point = await _geocode(run.geocoder, item.location)
    if point is None:
        return None
    venue_id, zone = None, None
    if item.location:
        venue_id, zone = await _venue(run, item.location, point)
    zone = zone or await anyio.to_thread.run_sync(zone_at, point.lat, point.lon)
    return Place(point, venue_id, zone or "UTC")


async def _geocode(geocoder: Geocoder, text: str) -> Point | None:
    """The first comma-separated part of ``text`` (last first: the town is usually near the end) found."""
    parts = [p.strip() for p in text.replace("\n", ",").split(",") if p.strip()]
    for part in [*reversed(parts), text][:6]:
        words = "".join(c if c.isalpha() or c in " -'" else " " for c in part).strip()
        if len(words) < 3:
            continue
        found = await geocoder.forward(words, 1)
        if found:
            return Point(lat=found[0].lat, lon=found[0].lon)
    return None


async def _venue(run: Run, location: str, point: Point) -> tuple[UUID, str]:
    """The organizer's venue of this name near ``point`` (the same-venue rule), else a new one."""
    name = location.split(",")[0].strip()[:200] or location[:200]
    await venues.lock_organizer_venues(run.conn, run.organizer_id, run.venue_settings.lock_timeout_ms)
    near = await venues.venues_near(
        run.conn, run.organizer_id, point.lat, point.lon, run.venue_settings.same_venue_within_m
    )
    wanted = normal_name(name)
    same = next((row for row in near if normal_name(row["name"]) == wanted), None)
    if same is not None:
        cur = await run.conn.execute("SELECT timezone FROM venues WHERE id = %s", (same["id"],))
        row = await cur.fetchone()
        assert row is not None
        return same["id"], row["timezone"]
    zone = await anyio.to_thread.run_sync(zone_at, point.lat, point.lon) or "UTC"
    town = await anyio.to_thread.run_sync(nearest_town, point.lat, point.lon)
    venue = await venues.insert_venue(
        run.conn,
        {
            "organizer_id": run.organizer_id, "name": name, "address": location[:500],
            "city": "" if town is None else town.name, "country_code": None if town is None else town.country_code,
            "timezone": zone, "lat": point.lat, "lon": point.lon,
        },
    )  # fmt: skip
    return venue["id"], zone


def _times(run: Run, item: Item, place_zone: str) -> tuple[str, datetime, datetime]:
    """The zone and the start and end instants (floating times in the import's zone, else the place's)."""
    zone = item.zone or run.timezone or run.default_zone or place_zone
    tz = ZoneInfo(zone)
    if item.start.tzinfo is not None:  # the file's own zone gave the instant
        return zone, item.start.astimezone(UTC), item.end.astimezone(UTC)
    return zone, to_instant(item.start, tz), to_instant(item.end, tz)


def _category(item: Item) -> str:
    for name in item.categories:
        for word in name.replace("/", " ").replace("-", " ").split():
            if word in CATEGORY_WORDS:
                return CATEGORY_WORDS[word]
    return DEFAULT_CATEGORY


def _description(item: Item) -> str:
    text = item.description
    if item.url and item.url not in text:
        text = f"{text}\n\n{item.url}".strip()
    return text[:20_000]


async def _one_off(run: Run, item: Item, link: dict[str, Any] | None, place: Place | None) -> Outcome:
    current = None if link is None or link["event_id"] is None else await repository.event_row(
        run.conn, link["event_id"])  # fmt: skip
    if current is None:
        if item.cancelled:
            raise Skipped("cancelled in the source")
        assert place is not None
        zone, starts, ends = _times(run, item, place.zone)
        data = EventCreate(
            organizer_id=run.organizer_id, venue_id=place.venue_id, location=place.point, title=item.title,
            description=_description(item), category=_category(item), starts_at=starts, ends_at=ends,
            timezone=zone, status="draft",
        )  # fmt: skip
        row, change = await events.create_event(run.conn, data)
        run.changes.append(change)
        if run.publish:
            row, change = await events.update_event(
                run.conn, row["id"], EventUpdate(status="published"), current=row, now=run.now
            )
            run.changes.append(change)
        return Outcome("created", "", row["id"])
    zone, starts, ends = _times(run, item, place.zone if place else current["timezone"])
    wanted: dict[str, Any] = {
        "title": item.title, "description": _description(item), "starts_at": starts, "ends_at": ends,
        "timezone": zone,
    }  # fmt: skip
    if place is not None and (place.venue_id != current["venue_id"] or not _same_point(place.point, current)):
        wanted["venue_id"], wanted["location"] = place.venue_id, place.point
    if item.cancelled and current["status"] == "published":
        wanted["status"] = "cancelled"
    elif not item.cancelled and current["status"] == "cancelled":
        wanted["status"] = "published"
    changed = {k: v for k, v in wanted.items() if k == "location" or current.get(k) != v}
    if not changed:
        return Outcome("unchanged", "", current["id"])
    row, change = await events.update_event(
        run.conn, current["id"], EventUpdate(**changed), current=current, now=run.now
    )
    run.changes.append(change)
    kind = "cancelled" if changed.get("status") == "cancelled" else "updated"
    return Outcome(kind, ", ".join(sorted(changed)), row["id"])


def _same_point(point: Point, row: dict[str, Any]) -> bool:
    return bool(abs(point.lat - row["exact_lat"]) < 1e-7 and abs(point.lon - row["exact_lon"]) < 1e-7)


async def _series(run: Run, item: Item, link: dict[str, Any] | None, place: Place | None) -> Outcome:
    assert item.rrule is not None
    series_id = None if link is None else link["series_id"]
    first = None if series_id is None else await repository.first_occurrence_id(run.conn, series_id)
    if first is None:
        if item.cancelled:
            raise Skipped("cancelled in the source")
        assert place is not None
        zone, starts, ends = _times(run, item, place.zone)
        data = SeriesCreate(
            organizer_id=run.organizer_id, venue_id=place.venue_id, location=place.point, title=item.title,
            description=_description(item), category=_category(item), starts_at=starts, ends_at=ends,
            timezone=zone, status="published" if run.publish else "draft",
            recurrence=Recurrence(rrule=item.rrule, exdates=list(item.exdates)),
        )  # fmt: skip
        row, changes = await series_service.store_series(run.conn, data, settings=run.series_settings, now=run.now)
        run.changes.extend(changes)
        return Outcome("created", "", row["id"], row["series_id"])
    assert series_id is not None
    occurrence = await series_service.occurrence_of(run.conn, first, run.series_settings.lock_timeout_ms)
    zone, starts, ends = _times(run, item, place.zone if place else occurrence["timezone"])
    edits: dict[str, Any] = {"title": item.title, "description": _description(item)}
    if occurrence["recurrence_id"] != starts or occurrence["duration"] != ends - starts:
        edits["starts_at"], edits["ends_at"] = starts, ends
    if place is not None and place.venue_id is not None and place.venue_id != occurrence["venue_id"]:
        edits["venue_id"], edits["location"] = place.venue_id, place.point
    if item.cancelled and occurrence["status"] == "published":
        edits["status"] = "cancelled"
    recurrence = Recurrence(rrule=item.rrule, exdates=list(item.exdates))
    _, written = await series_service.edit_series(
        run.conn, occurrence, edits, recurrence=recurrence, settings=run.series_settings, now=run.now,
        since=min(run.now, occurrence["recurrence_id"]),
    )  # fmt: skip
    run.changes.extend(written)
    return Outcome("cancelled" if edits.get("status") else "updated", "", None, series_id)


async def _override(run: Run, item: Item, link: dict[str, Any] | None) -> Outcome:
    master = await repository.link_of(run.conn, run.source_id, item.uid, "")
    if master is None or master["series_id"] is None:
        raise Skipped("RECURRENCE-ID of a recurring event that was not imported")
    assert item.recurrence_id is not None
    cur = await run.conn.execute("SELECT timezone FROM event_series WHERE id = %s", (master["series_id"],))
    series = await cur.fetchone()
    if series is None:
        raise Skipped("its series no longer exists")
    tz = ZoneInfo(series["timezone"])
    rid = item.recurrence_id if item.recurrence_id.tzinfo else to_instant(item.recurrence_id, tz)
    event_id = await repository.occurrence_id(run.conn, master["series_id"], rid)
    if event_id is None:
        raise Skipped("its RECURRENCE-ID is not an occurrence of the series (yet: beyond the horizon, or excluded)")
    occurrence = await series_service.occurrence_of(run.conn, event_id, run.series_settings.lock_timeout_ms)
    _, starts, ends = _times(run, item, series["timezone"])
    changes: dict[str, Any] = {"title": item.title, "description": _description(item), "starts_at": starts,
                               "ends_at": ends}  # fmt: skip
    if item.geo is not None:
        changes["location"] = Point(lat=item.geo[0], lon=item.geo[1])
    if item.cancelled:
        changes["status"] = "cancelled"
    row, written = await series_service.edit_occurrence(run.conn, occurrence, changes, now=run.now)
    run.changes.extend(written)
    return Outcome("cancelled" if item.cancelled else ("updated" if link else "created"), "", row["id"],
                   master["series_id"])  # fmt: skip


async def disappear(run: Run, link: dict[str, Any]) -> Outcome:
    """An entry the subscribed source no longer holds: cancelled when published, else left as a draft."""
    await repository.mark_gone(run.conn, run.source_id, link["uid"], link["key"])
    if link["kind"] == "series" and link["series_id"] is not None:
        first = await repository.first_occurrence_id(run.conn, link["series_id"])
        if first is None:
            return Outcome("skipped", "gone from the source; its series has no occurrence left")
        occurrence = await series_service.occurrence_of(run.conn, first, run.series_settings.lock_timeout_ms)
        if occurrence["status"] != "published":
            return Outcome("skipped", "gone from the source; the series stays a draft", series_id=link["series_id"])
        _, written = await series_service.edit_series(
            run.conn, occurrence, {"status": "cancelled"}, recurrence=None, settings=run.series_settings,
            now=run.now,
        )  # fmt: skip
        run.changes.extend(written)
        return Outcome("cancelled", "gone from the source", series_id=link["series_id"])
    if link["event_id"] is None:
        return Outcome("skipped", "gone from the source")
    current = await repository.event_row(run.conn, link["event_id"])
    if current is None or current["status"] != "published":
        return Outcome("skipped", "gone from the source; not published, left as it is", link["event_id"])
    _, change = await events.update_event(
        run.conn, current["id"], EventUpdate(status="cancelled"), current=current, now=run.now
    )
    run.changes.append(change)
    return Outcome("cancelled", "gone from the source", current["id"])


def next_fetch(now: datetime, settings: ImportSettings, subscribe: bool) -> datetime | None:
    return now + timedelta(seconds=settings.refresh_every_s) if subscribe else None

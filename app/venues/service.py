"""The rules of venues: where a venue is, its time zone, when two venues are one, and moving its events.

- A venue's point is given, or found by geocoding its address (``Geocoder.forward``, best answer).
- Its IANA zone is given, or the zone at its point (``geo.zones``: timezonefinder, offline).
- Its city and country come from the nearest GeoNames town (offline, no network in a write).
- The same normalised name (``geo.geocoding.normal_name``) within ``same_venue_within_m`` of another
  venue of the same organizer is the same venue: the write is refused with ``SameVenueExists``
  naming it, so the client can offer it. The check runs under a per-organizer advisory lock, so
  two concurrent creates of one venue cannot both pass it.
- A venue write locks, in this order and each with ``lock_timeout_ms`` (busy: ``VenuesBusy``, a
  503): the organizer's venues (when the name or point may change), the venue itself (an advisory
  lock, after the event writes that copy it: ``repository.lock_venue``), then its events.
- Moving a venue moves the events that stand at its point through the events write service, in
  batches; each returns an ``EventChange`` that the caller publishes after commit (tiles of the
  old and new place are invalidated). An event placed at its own point keeps it. A renamed or
  moved venue's events take the new name and point into their copy of the venue.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

import anyio.to_thread
from psycopg import errors as pg_errors

from app.accounts.auth import Subject
from app.db import Conn
from app.events import repository as events_repository
from app.events import service as events_service
from app.events.changes import EventChange
from app.events.schemas import EventUpdate, Point
from app.venues import repository
from app.venues.audit import record_venue_change
from app.venues.errors import AddressNotFound, SameVenueExists, VenueNotFound, VenuesBusy
from app.venues.geocoding import Geocoder
from app.venues.schemas import VenueCreate, VenuePatch
from app.web.places import nearest_town
from config.settings import VenueSettings
from geo.geocoding import normal_name
from geo.zones import zone_at


@dataclass(slots=True)
class VenueWrite:
    """A venue as written, and the event changes to publish after commit."""

    venue: dict[str, Any]
    changes: list[EventChange] = field(default_factory=list)


async def create_venue(
    conn: Conn, data: VenueCreate, subject: Subject, geocoder: Geocoder, settings: VenueSettings, now: datetime
) -> VenueWrite:
    point = data.location or await _geocode(geocoder, data.address)
    zone = data.timezone or await anyio.to_thread.run_sync(zone_at, point.lat, point.lon)
    await _hold_organizer(conn, data.organizer_id, settings)
    await _refuse_same_venue(conn, data.organizer_id, data.name, point, settings, other_than=None)
    city, country = await _town_of(point)
    values = {
        "organizer_id": data.organizer_id, "name": data.name, "address": data.address, "city": city,
        "country_code": country, "timezone": zone, "lat": point.lat, "lon": point.lon,
    }
    venue = await repository.insert_venue(conn, values)
    await record_venue_change(conn, venue, subject, "created", None, venue, now)
    return VenueWrite(venue)


async def update_venue(
    conn: Conn, current: dict[str, Any], patch: VenuePatch, subject: Subject, settings: VenueSettings, now: datetime
) -> VenueWrite:
    """Apply ``patch`` to the venue ``current`` (as the caller's dependency read it); the patch
    applies to the venue as it is once locked (see the module's lock order)."""
    if patch.name is not None or patch.location is not None:  # the same-venue check may run
        await _hold_organizer(conn, current["organizer_id"], settings)
    current = await _lock_venue(conn, current, settings)
    given = patch.model_dump(exclude_unset=True, exclude={"location"})
    if given.get("address") is None:
        given.pop("address", None)
    if given.get("name") is None:
        given.pop("name", None)
    before = Point(lat=current["lat"], lon=current["lon"])
    after = patch.location or before
    moved = after != before
    if moved and given.get("timezone") is None:
        given["timezone"] = await anyio.to_thread.run_sync(zone_at, after.lat, after.lon)
    if given.get("timezone") is None:
        given.pop("timezone", None)
    if moved:
        given["city"], given["country_code"] = await _town_of(after)
    name = given.get("name", current["name"])
    if moved or normal_name(name) != normal_name(current["name"]):  # the organizer's venues are held
        await _refuse_same_venue(conn, current["organizer_id"], name, after, settings, other_than=current["id"])
    if moved:  # its events are found by venue id over every shard, then the venue is written
        await events_repository.one_connection_per_node(conn)
    changes = await _move_events(conn, current["id"], before, after, settings) if moved else []
    venue = await repository.update_venue(conn, current["id"], given, after.lat, after.lon)
    if moved or venue["name"] != current["name"]:  # its events' copies follow (ADR-9)
        await events_service.venue_changed(conn, current["id"], venue["name"], after)
    await record_venue_change(conn, venue, subject, "updated", current, venue, now)
    return VenueWrite({**venue, "moved_events": len(changes) if moved else None}, changes)


async def _move_events(
    conn: Conn, venue_id: UUID, before: Point, after: Point, settings: VenueSettings
) -> list[EventChange]:
    """Move every event standing at the venue's old point to its new one, a batch of ids at a time."""
    changes: list[EventChange] = []
    last: UUID | None = None
    while True:
        ids = await repository.events_at(conn, venue_id, before.lat, before.lon, last, settings.move_batch_size)
        for event_id in ids:
            _, change = await events_service.update_event(conn, event_id, EventUpdate(location=after))
            changes.append(change)
        if len(ids) < settings.move_batch_size:
            return changes
        last = ids[-1]


async def _geocode(geocoder: Geocoder, address: str) -> Point:
    found = await geocoder.forward(address, 1)
    if not found:
        raise AddressNotFound(f"no place was found for the address {address!r}; place a pin instead", param="address")
    return Point(lat=found[0].lat, lon=found[0].lon)


async def _town_of(point: Point) -> tuple[str, str | None]:
    town = await anyio.to_thread.run_sync(nearest_town, point.lat, point.lon)
    return ("", None) if town is None else (town.name, town.country_code)


async def _hold_organizer(conn: Conn, organizer_id: UUID, settings: VenueSettings) -> None:
    try:
        await repository.lock_organizer_venues(conn, organizer_id, settings.lock_timeout_ms)
    except pg_errors.LockNotAvailable as exc:
        raise VenuesBusy("the organizer's venues are being changed; try again shortly",
                         headers={"Retry-After": "1"}) from exc


async def _lock_venue(conn: Conn, current: dict[str, Any], settings: VenueSettings) -> dict[str, Any]:
    """The venue read again under its lock (another write may have changed it since ``current``)."""
    try:
        await repository.lock_venue(conn, current["id"], settings.lock_timeout_ms)
    except pg_errors.LockNotAvailable as exc:
        raise VenuesBusy("the venue is being changed; try again shortly", headers={"Retry-After": "1"}) from exc
    venue = await repository.get_venue(conn, current["id"])
    if venue is None or venue["organizer_id"] != current["organizer_id"]:
        raise VenueNotFound(f"venue {current['id']} not found")
    return venue


async def _refuse_same_venue(
    conn: Conn, organizer_id: UUID, name: str, point: Point, settings: VenueSettings, *, other_than: UUID | None
) -> None:
    wanted = normal_name(name)
    near = await repository.venues_near(
        conn, organizer_id, point.lat, point.lon, settings.same_venue_within_m, other_than=other_than
    )
    same = next((row for row in near if normal_name(row["name"]) == wanted), None)
    if same is not None:
        distance = round(float(same["distance_m"]), 1)
        raise SameVenueExists(
            f"the venue {same['name']!r} is {distance} m away: use it rather than a second one",
            param="name",
            existing={"id": str(same["id"]), "name": same["name"], "distance_m": distance},
        )


def venue_answer(row: dict[str, Any]) -> dict[str, Any]:
    """A venue row as the API's ``Venue``."""
    keys = ("id", "organizer_id", "name", "address", "city", "country_code", "timezone", "created_at", "updated_at")
    answer = {key: row[key] for key in keys}
    answer["location"] = {"lat": row["lat"], "lon": row["lon"]}
    answer["moved_events"] = row.get("moved_events")
    return answer



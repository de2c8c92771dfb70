"""The rules for writing events: validation across fields, placement, and partition moves."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from pydantic import ValidationError

from app.db import Conn
from app.errors import InvalidParameter, NotFound
from app.events import repository
from app.events.changes import Aspect, EventChange, log_change
from app.events.schemas import EventCreate, EventFields, EventUpdate, Point
from app.ticketing.service import set_event_capacity
from geo.cells import cell_of


async def create_event(conn: Conn, data: EventCreate) -> tuple[dict[str, Any], EventChange]:
    """Insert an event at its own point or its venue's; the partition cell follows the point."""
    venue_point = None if data.venue_id is None else await _venue_point(conn, data.venue_id)
    point = data.location or venue_point
    assert point is not None  # EventCreate requires a venue or a location
    values = data.model_dump(exclude={"location"})
    values["cell"] = cell_of(point.lat, point.lon)
    row = await repository.insert_event(conn, values, point.lat, point.lon)
    aspects: frozenset[Aspect] = frozenset({"published"}) if row["status"] == "published" else frozenset()
    change = EventChange(row["id"], "created", None, point, aspects)
    await log_change(conn, row["cell"], change)
    return row, change


async def update_event(conn: Conn, event_id: UUID, patch: EventUpdate) -> tuple[dict[str, Any], EventChange]:
    """Apply ``patch``; a new location moves the row to the partition of its new cell."""
    current = await repository.lock_event(conn, event_id)
    if current is None:
        raise NotFound(f"event {event_id} does not exist")
    changes = patch.model_dump(exclude_unset=True, exclude={"location"})
    _check_consistent({**current, **changes})
    before = Point(lat=current["lat"], lon=current["lon"])
    after = patch.location or before
    if after != before:
        changes["cell"] = cell_of(after.lat, after.lon)
    row = await repository.update_event(conn, current["cell"], event_id, changes, after.lat, after.lon)
    change = EventChange(event_id, "updated", before, after, aspects_of(current, row, moved=after != before))
    if "capacity" in change.aspects:  # ticketing's counter row follows (409 below the places taken)
        await set_event_capacity(conn, row["cell"], event_id, row["capacity"])
    await log_change(conn, row["cell"], change)
    return row, change


async def delete_event(conn: Conn, event_id: UUID) -> EventChange:
    current = await repository.lock_event(conn, event_id)
    if current is None:
        raise NotFound(f"event {event_id} does not exist")
    await repository.delete_event(conn, current["cell"], event_id)
    gone = Point(lat=current["lat"], lon=current["lon"])
    change = EventChange(event_id, "deleted", gone, None, frozenset({"deleted"}))
    await log_change(conn, current["cell"], change)
    return change


async def delete_events_of_organizers(conn: Conn, organizer_ids: list[UUID]) -> list[EventChange]:
    """Delete every event of these organizers (an organizer going away with them)."""
    if not organizer_ids:
        return []
    rows = await repository.delete_events_of_organizers(conn, organizer_ids)
    changes = []
    for row in rows:
        change = EventChange(row["id"], "deleted", Point(lat=row["lat"], lon=row["lon"]), None, frozenset({"deleted"}))
        await log_change(conn, row["cell"], change)
        changes.append(change)
    return changes


async def _venue_point(conn: Conn, venue_id: UUID) -> Point:
    point = await repository.hold_venue(conn, venue_id)
    if point is None:
        raise InvalidParameter(f"venue {venue_id} does not exist", param="venue_id")
    return Point(lat=point[0], lon=point[1])


_DETAILS = ("title", "description", "category", "tags", "is_free", "price_min", "price_max", "currency", "image_key")


def aspects_of(before: dict[str, Any], after: dict[str, Any], *, moved: bool) -> frozenset[Aspect]:
    """What an update changed, in the terms listeners care about (``EventChange.aspects``)."""
    aspects: set[Aspect] = {"moved"} if moved else set()
    if (before["starts_at"], before["ends_at"]) != (after["starts_at"], after["ends_at"]):
        aspects.add("rescheduled")
    if before["status"] != after["status"]:
        became: dict[str, Aspect] = {"published": "published", "cancelled": "cancelled"}
        aspects.add(became.get(after["status"], "unpublished"))
    if before.get("capacity") != after.get("capacity"):
        aspects.add("capacity")
    if any(before.get(name) != after.get(name) for name in _DETAILS):
        aspects.add("details")
    return frozenset(aspects)


def _check_consistent(merged: dict[str, Any]) -> None:
    """Re-run the cross-field rules on the event as it would be after the update."""
    fields = {name: merged[name] for name in EventFields.model_fields if name in merged}
    try:
        EventFields.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        param = ".".join(str(p) for p in first["loc"]) or None
        raise InvalidParameter(first["msg"], param=param) from exc

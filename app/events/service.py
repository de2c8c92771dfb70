"""The rules for writing events: validation across fields, placement, partition moves, status.

Every write returns the ``EventChange`` it made (the caller publishes it on the unit of work, so
tiles, live maps and push follow after commit) and logs it in ``event_changes`` in the same
transaction. The organizer-facing writes (``draft_event``, ``edit_event``, ``change_status``,
``delete_draft``) also read local times, check the venue is the organizer's, bump ``sequence``
and write the audit log (``app.audit.service.record``).

**Status** (ADR "Event lifecycle"): ``draft`` → ``published`` (publish; sets ``published_at``
the first time) → ``draft`` (unpublish) or ``cancelled`` (cancel: stays listed, marked cancelled);
a cancelled event may be published again. Only a draft may be deleted; a published or cancelled
event has had an audience, so it is cancelled instead (409 otherwise).

**Approximate location**: an event with ``location_approximate`` is *stored* at the centre of
the H3 resolution-7 cell holding its point (``geom``, the partition cell and every read path
use it) and keeps the exact point in ``exact_geom``, so that no list, tile, rollup, distance
or sort can reveal the point (``app.events.visibility`` decides who sees it).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, TypeVar
from uuid import UUID

from pydantic import ValidationError

from app.audit.service import record
from app.db import Conn
from app.errors import InvalidParameter, NotFound
from app.events import derived, repository
from app.events.changes import Aspect, EventChange, log_change
from app.events.errors import RecurrenceNotAvailable, TransitionRefused, VenueNotFound
from app.events.local_time import to_instant, to_local
from app.events.publishing_schemas import EventDraft, EventEdit
from app.events.schemas import EventCreate, EventFields, EventStatus, EventUpdate, Point
from app.kit import keyset
from app.ticketing.service import set_event_capacity
from app.venues import repository as venues_repository
from geo.blur import blurred
from geo.cells import cell_of

Transition = Literal["publish", "unpublish", "cancel"]
_M = TypeVar("_M", EventCreate, EventUpdate)

# transition -> (the statuses it may start from, the status it leads to)
TRANSITIONS: dict[Transition, tuple[frozenset[EventStatus], EventStatus]] = {
    "publish": (frozenset({"draft", "cancelled"}), "published"),
    "unpublish": (frozenset({"published"}), "draft"),
    "cancel": (frozenset({"published"}), "cancelled"),
}
# A change an attendee's calendar must see (RFC 5545 SEQUENCE goes up).
_SEQUENCED: frozenset[Aspect] = frozenset({"moved", "rescheduled", "published", "unpublished", "cancelled"})


async def create_event(
    conn: Conn, data: EventCreate, *, held_venue: Point | None = None
) -> tuple[dict[str, Any], EventChange]:
    """Insert an event at its own point or its venue's; the partition cell follows the shown point.

    ``held_venue``: the venue's point when the caller already holds the venue (``repository.hold_venue``).
    """
    venue_point = held_venue
    if venue_point is None and data.venue_id is not None:
        venue_point = await _venue_point(conn, data.venue_id)
    exact = data.location or venue_point
    assert exact is not None  # EventCreate requires a venue or a location
    shown = shown_point(exact, data.location_approximate)
    values = data.model_dump(exclude={"location"})
    values["cell"] = cell_of(shown.lat, shown.lon)
    row = await repository.insert_event(conn, values, shown.lat, shown.lon, _exact_of(exact, data.location_approximate))
    await repository.place(conn, row["id"], row["cell"])
    if derived.is_public(row):
        async with conn.pipeline():  # one round trip for both
            await derived.write_terms(conn, [(row["cell"], row["id"])])
            await derived.change_rollup(conn, [], derived.counted(row))
    aspects: frozenset[Aspect] = frozenset({"published"}) if row["status"] == "published" else frozenset()
    change = EventChange(row["id"], "created", None, shown, aspects)
    await log_change(conn, change)
    return row, change


async def update_event(
    conn: Conn,
    event_id: UUID,
    patch: EventUpdate,
    *,
    current: dict[str, Any] | None = None,
    held_venue: Point | None = None,
    now: datetime | None = None,
) -> tuple[dict[str, Any], EventChange]:
    """Apply ``patch``; a new shown point moves the row to the partition of its new cell.

    ``current``: the row, when the caller already locked it (``app.events.auth``). A new
    ``venue_id`` without a ``location`` moves the event to the venue (``held_venue``, or looked
    up). Bumps ``sequence`` when time, place or status change; sets ``published_at`` once.
    """
    if current is None:
        current = await repository.lock_event(conn, event_id)
        if current is None:
            raise NotFound(f"event {event_id} does not exist")
    changes = patch.model_dump(exclude_unset=True, exclude={"location"})
    _check_consistent({**current, **changes})
    before_exact = Point(lat=current["exact_lat"], lon=current["exact_lon"])
    exact = patch.location or before_exact
    if changes.get("venue_id") not in (None, current["venue_id"]):
        # Held to the end (``repository.hold_venue``): the event takes a copy of its name and point (ADR-9).
        venue_point = held_venue or await _venue_point(conn, changes["venue_id"])
        exact = patch.location or venue_point
    approximate = bool(changes.get("location_approximate", current["location_approximate"]))
    before = Point(lat=current["lat"], lon=current["lon"])
    after = shown_point(exact, approximate)
    if after != before:
        changes["cell"] = cell_of(after.lat, after.lon)
    aspects = aspects_of(current, {**current, **changes}, moved=after != before or exact != before_exact)
    if aspects & _SEQUENCED:
        changes["sequence"] = current["sequence"] + 1
    if changes.get("status") == "published" and current.get("published_at") is None and now is not None:
        changes["published_at"] = now
    # The postings change with the words, status, times, place or cell of a public event.
    posted = (derived.is_public(current) or changes.get("status") in derived.PUBLIC) and (
        after != before or not derived.POSTED.isdisjoint(changes)
    )
    cell = current["cell"]
    # Pipelined: the old postings' delete (read from the row as it is: before it moves) and the
    # UPDATE go in one round trip, then the new postings and the rollup change in another.
    async with conn.pipeline():
        if posted and derived.is_public(current):
            await derived.forget_terms(conn, [(cell, event_id)])
        # The cell is never SET (Citus refuses to write its distribution column, even unchanged): a
        # new point in the same cell leaves it as it is; a move to another cell copies the row and
        # its bound rows there.
        new_cell = changes.pop("cell", cell)
        if new_cell != cell:
            await repository.move_event(conn, cell, new_cell, event_id)
            cell = new_cell
        row = await repository.update_event(
            conn, cell, event_id, changes, after.lat, after.lon, _exact_of(exact, approximate)
        )
    async with conn.pipeline():
        if posted and derived.is_public(row):
            await derived.write_terms(conn, [(row["cell"], event_id)])
        await derived.change_rollup(conn, derived.counted(current), derived.counted(row))
    change = EventChange(event_id, "updated", before, after, aspects)
    if "capacity" in change.aspects:  # ticketing's counter row follows (409 below the places taken)
        await set_event_capacity(conn, row["cell"], event_id, row["capacity"])
    await log_change(conn, change)
    return row, change


async def delete_event(conn: Conn, event_id: UUID, *, current: dict[str, Any] | None = None) -> EventChange:
    if current is None:
        current = await repository.lock_event(conn, event_id)
        if current is None:
            raise NotFound(f"event {event_id} does not exist")
    async with conn.pipeline():  # one round trip for the four
        if derived.is_public(current):
            await derived.forget_terms(conn, [(current["cell"], event_id)])
        await repository.delete_event(conn, current["cell"], event_id)
        await repository.forget(conn, [event_id])
        await derived.change_rollup(conn, derived.counted(current), [])
    gone = Point(lat=current["lat"], lon=current["lon"])
    change = EventChange(event_id, "deleted", gone, None, frozenset({"deleted"}))
    await log_change(conn, change)
    return change


async def venue_changed(conn: Conn, venue_id: UUID, name: str, point: Point) -> None:
    """A venue was renamed or moved: its events' copies of it follow, in the same transaction (ADR-9).

    The venue is locked first (taken already by ``app.venues.service.update_venue``): the event
    writes holding it took their copy before this write, so the statement waits for them to commit
    and then rewrites their copies too."""
    await venues_repository.lock_venue(conn, venue_id)
    await repository.copy_venue(conn, venue_id, name, point.lat, point.lon)


async def delete_events_of_organizers(conn: Conn, organizer_ids: list[UUID]) -> list[EventChange]:
    """Delete every event of these organizers (an organizer going away with them)."""
    if not organizer_ids:
        return []
    await derived.forget_terms_of_organizers(conn, organizer_ids)
    rows = await repository.delete_events_of_organizers(conn, organizer_ids)
    await repository.forget(conn, [row["id"] for row in rows])
    await derived.change_rollup(conn, [c for row in rows for c in derived.counted(row)], [])
    changes = []
    for row in rows:
        change = EventChange(row["id"], "deleted", Point(lat=row["lat"], lon=row["lon"]), None, frozenset({"deleted"}))
        await log_change(conn, change)
        changes.append(change)
    return changes


# ----------------------------------------------------------------------------- organizers' writes


async def draft_event(
    conn: Conn, actor: UUID | None, draft: EventDraft, now: datetime
) -> tuple[dict[str, Any], EventChange]:
    """A new draft from local times, at the organizer's venue or its own point; audited."""
    if draft.recurrence is not None:
        # Recurring events are materialised by the series service (app.series), wired when it lands.
        raise RecurrenceNotAvailable(
            "recurring events are not available yet; create a one-off event", param="recurrence"
        )
    venue = None if draft.venue_id is None else await _organizer_venue(conn, draft.venue_id, draft.organizer_id)
    zone = draft.timezone or (venue["timezone"] if venue else None)
    assert zone is not None  # EventDraft requires a venue or a timezone
    fields = draft.model_dump(exclude={"recurrence", "starts_at", "ends_at", "timezone"}, exclude_none=True)
    fields.update(
        starts_at=to_instant(draft.starts_at, zone, "starts_at"),
        ends_at=to_instant(draft.ends_at, zone, "ends_at"),
        timezone=zone,
        status="draft",
    )
    data = _validated(EventCreate, fields)
    row, change = await create_event(conn, data, held_venue=_point_of(venue))
    await _audit(conn, row, actor, "created", None, now)
    return row, change


async def edit_event(
    conn: Conn, actor: UUID | None, current: dict[str, Any], edit: EventEdit, now: datetime
) -> tuple[dict[str, Any], EventChange]:
    """Apply an organizer's edit (local times, venue, point, details) to the locked ``current``; audited."""
    given = edit.model_dump(exclude_unset=True)
    venue = None
    if given.get("venue_id") not in (None, current["venue_id"]):
        venue = await _organizer_venue(conn, given["venue_id"], current["organizer_id"])
    zone = given.get("timezone") or (venue["timezone"] if venue else current["timezone"])
    if {"starts_at", "ends_at"} & given.keys() or zone != current["timezone"]:
        local_start = given.get("starts_at") or to_local(current["starts_at"], current["timezone"])
        local_end = given.get("ends_at") or to_local(current["ends_at"], current["timezone"])
        if local_end < local_start:
            raise InvalidParameter("ends_at must not be before starts_at", param="ends_at")
        given.update(
            starts_at=to_instant(local_start, zone, "starts_at"),
            ends_at=to_instant(local_end, zone, "ends_at"),
            timezone=zone,
        )
    patch = _validated(EventUpdate, given)
    row, change = await update_event(conn, current["id"], patch, current=current, held_venue=_point_of(venue))
    await _audit(conn, row, actor, "updated", current, now)
    return row, change


async def change_status(
    conn: Conn, actor: UUID | None, current: dict[str, Any], transition: Transition, now: datetime
) -> tuple[dict[str, Any], EventChange]:
    """Publish, unpublish or cancel the locked ``current`` (see the module's rules); audited."""
    sources, target = TRANSITIONS[transition]
    if current["status"] not in sources:
        raise TransitionRefused(
            f"a {current['status']} event cannot be {_PAST[transition]}; "
            f"only a {' or '.join(sorted(sources))} event can"
        )
    row, change = await update_event(conn, current["id"], EventUpdate(status=target), current=current, now=now)
    await _audit(conn, row, actor, _PAST[transition], current, now)
    return row, change


async def delete_draft(conn: Conn, actor: UUID | None, current: dict[str, Any], now: datetime) -> EventChange:
    """Delete the locked ``current`` if it is a draft (409 otherwise: cancel it instead); audited."""
    if current["status"] != "draft":
        raise TransitionRefused(f"a {current['status']} event cannot be deleted; cancel it instead")
    change = await delete_event(conn, current["id"], current=current)
    await record(
        conn, organizer_id=current["organizer_id"], actor=actor, entity="event", entity_id=current["id"],
        action="deleted", before=audit_snapshot(current), after=None, at=now,
    )  # fmt: skip
    return change


async def organizer_events(
    conn: Conn, organizer_id: UUID, status: EventStatus | None, cursor: str | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of the organizer's events (every status) by start, and the cursor to the next."""
    after = None if cursor is None else keyset.decode(cursor)
    rows = await repository.organizer_events(conn, organizer_id, status, after, limit + 1)
    items = rows[:limit]
    last = items[-1] if len(rows) > limit else None
    return items, None if last is None else keyset.encode(last["starts_at"], last["id"])


_PAST: dict[Transition, str] = {"publish": "published", "unpublish": "unpublished", "cancel": "cancelled"}


def shown_point(exact: Point, approximate: bool) -> Point:
    """Where the event is shown on the map and in every read: its point, or its area's centre."""
    if not approximate:
        return exact
    lat, lon = blurred(exact.lat, exact.lon)
    return Point(lat=lat, lon=lon)


def _exact_of(exact: Point, approximate: bool) -> tuple[float, float] | None:
    return (exact.lat, exact.lon) if approximate else None


def audit_snapshot(row: dict[str, Any]) -> dict[str, Any]:
    """The event's own fields as the audit log keeps them (JSON-ready; exact point: members read it)."""
    return {
        "title": row["title"],
        "description": row["description"],
        "category": row["category"],
        "tags": list(row["tags"]),
        "status": row["status"],
        "starts_at": row["starts_at"].isoformat(),
        "ends_at": row["ends_at"].isoformat(),
        "timezone": row["timezone"],
        "venue_id": None if row["venue_id"] is None else str(row["venue_id"]),
        "lat": row["exact_lat"],
        "lon": row["exact_lon"],
        "location_approximate": row["location_approximate"],
        "is_free": row["is_free"],
        "price_min": row["price_min"],
        "price_max": row["price_max"],
        "currency": row["currency"],
        "capacity": row["capacity"],
        "sequence": row["sequence"],
    }


async def _audit(
    conn: Conn, row: dict[str, Any], actor: UUID | None, action: str, before: dict[str, Any] | None, now: datetime
) -> None:
    await record(
        conn, organizer_id=row["organizer_id"], actor=actor, entity="event", entity_id=row["id"], action=action,
        before=None if before is None else audit_snapshot(before), after=audit_snapshot(row), at=now,
    )  # fmt: skip


async def _organizer_venue(conn: Conn, venue_id: UUID, organizer_id: UUID) -> dict[str, Any]:
    """The venue (held: ``repository.hold_venue``) if it is the organizer's; 404 otherwise, as if it did not exist."""
    venue = await repository.hold_organizer_venue(conn, venue_id)
    if venue is None or venue["organizer_id"] != organizer_id:
        raise VenueNotFound(f"venue {venue_id} not found", param="venue_id")
    return venue


def _point_of(venue: dict[str, Any] | None) -> Point | None:
    return None if venue is None else Point(lat=venue["lat"], lon=venue["lon"])


async def _venue_point(conn: Conn, venue_id: UUID) -> Point:
    point = await repository.hold_venue(conn, venue_id)
    if point is None:
        raise InvalidParameter(f"venue {venue_id} does not exist", param="venue_id")
    return Point(lat=point[0], lon=point[1])


def _validated(model: type[_M], fields: dict[str, Any]) -> _M:
    """``fields`` as ``model``; a broken cross-field rule (a price on a free event) is a 400 naming it."""
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        raise _invalid(exc) from exc


_DETAILS = (
    "title", "description", "category", "tags", "is_free", "price_min", "price_max", "currency", "image_key",
    "location_approximate",
)  # fmt: skip


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
        raise _invalid(exc) from exc


def _invalid(exc: ValidationError) -> InvalidParameter:
    first = exc.errors()[0]
    param = ".".join(str(p) for p in first["loc"]) or None
    return InvalidParameter(first["msg"], param=param)

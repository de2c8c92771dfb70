"""Who may act on an event's tickets: the organizer's editors (tiers), checkers (door, lists).

The event (or the tier, or the ticket) named in the path is loaded, then the caller's role in its
organizer is checked with ``app.organizers.auth.authorize``: an event of an organizer the caller
does not belong to answers 404, like an event that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from app.accounts.auth import Subject
from app.db import Conn
from app.organizers.auth import OrganizerAccess, Role, authorize
from app.ticketing import repository
from app.ticketing.errors import EventNotFound, TierNotFound


@dataclass(frozen=True, slots=True)
class EventAccess:
    event: dict[str, Any]
    access: OrganizerAccess


async def event_access(conn: Conn, subject: Subject, event_id: UUID, min_role: Role) -> EventAccess:
    """The event and the caller's role in its organizer (at least ``min_role``), or 404/403."""
    event = await repository.event_of(conn, event_id)
    not_found = EventNotFound(f"event {event_id} not found")
    if event is None:
        raise not_found
    access = await authorize(conn, subject, event["organizer_id"], min_role, not_found=not_found)
    return EventAccess(event, access)


async def tier_access(conn: Conn, subject: Subject, tier_id: UUID, min_role: Role) -> dict[str, Any]:
    """The tier, if the caller has ``min_role`` in its event's organizer; else 404/403."""
    tier = await repository.tier_by_id(conn, tier_id)
    not_found = TierNotFound(f"tier {tier_id} not found")
    if tier is None:
        raise not_found
    event = await repository.event_of(conn, tier["event_id"])
    if event is None:
        raise not_found
    await authorize(conn, subject, event["organizer_id"], min_role, not_found=not_found)
    return tier

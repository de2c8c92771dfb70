"""Venue permission dependencies: the venue loaded in the caller's scope, then the role checked.

``EditableVenue``: editors and owners (and admins) of the venue's organizer; the write service
then locks the venue (``app.venues.service.update_venue``). ``ReadableVenue``: any member. A venue
of an organizer the caller does not belong to answers 404 like one that does not exist
(``app.organizers.auth.authorize``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID

from fastapi import Depends, Path

from app.accounts.auth import VerifiedSubjectDep
from app.db import Conn, UnitOfWorkDep
from app.kit.read_connection import ReadConnDep
from app.organizers.auth import OrganizerAccess, Role, authorize
from app.venues import repository
from app.venues.errors import VenueNotFound


@dataclass(frozen=True, slots=True)
class VenueAccess:
    venue: dict[str, Any]
    access: OrganizerAccess


async def _venue_access(conn: Conn, venue_id: UUID, subject: Any, min_role: Role) -> VenueAccess:
    not_found = VenueNotFound(f"venue {venue_id} not found")
    venue = await repository.get_venue(conn, venue_id)
    if venue is None or venue["organizer_id"] is None:
        raise not_found
    access = await authorize(conn, subject, venue["organizer_id"], min_role, not_found=not_found)
    return VenueAccess(venue, access)


async def editable_venue(
    venue_id: Annotated[UUID, Path()], subject: VerifiedSubjectDep, work: UnitOfWorkDep
) -> VenueAccess:
    return await _venue_access(work.conn, venue_id, subject, Role.EDITOR)


async def readable_venue(
    venue_id: Annotated[UUID, Path()], subject: VerifiedSubjectDep, db: ReadConnDep
) -> VenueAccess:
    return await _venue_access(await db.get(), venue_id, subject, Role.CHECKER)


EditableVenue = Annotated[VenueAccess, Depends(editable_venue)]
ReadableVenue = Annotated[VenueAccess, Depends(readable_venue)]

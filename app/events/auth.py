"""Who may write an event: the event, loaded and locked for an editor of its organizer.

Contract (publishing, images, series and later domains build on these names):

- ``event_for_editor(conn, subject, event_id, min_role=Role.EDITOR)``: the event's row (every
  column, plus ``lat``/``lon``), locked ``FOR UPDATE`` until the transaction ends, when ``subject``
  is an editor or owner of the event's organizer (or an admin, ADR-18). Otherwise:
  404 ``event-not-found`` when the event does not exist *or* the caller is not a member of its
  organizer (the same answer, so nobody learns which events exist in drafts); 403 ``role-too-low``
  for a member below the role (a checker: members know the organizer already, as ADR-18 says).
- ``EditableEventDep``: a dependency for routes whose path holds ``{event_id:uuid}`` (declare it with
  the convertor: only a UUID then matches, so ``/events/nearby`` never reaches a write route); runs on the
  request's unit of work (``UnitOfWorkDep``) with a verified caller (``VerifiedSubjectDep``:
  organizer work needs a verified email, 403 ``email-not-verified`` otherwise). It gives an
  ``EditableEvent`` (``row``, ``access``: the ``OrganizerAccess`` with the caller's role).

The row is locked before the membership check: the lock lives only as long as the request's
transaction, which ends at once when the check refuses. An event's organizer never changes, so
the check made once holds for the rest of the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID

from fastapi import Depends, Path

from app.accounts.auth import Subject, VerifiedSubjectDep
from app.db import Conn, UnitOfWorkDep
from app.events import repository
from app.events.errors import EventNotFound
from app.organizers.auth import OrganizerAccess, authorize
from app.organizers.roles import Role

__all__ = ["EditableEvent", "EditableEventDep", "editable_event", "event_for_editor", "event_with_access"]


async def event_with_access(
    conn: Conn, subject: Subject, event_id: UUID, min_role: Role = Role.EDITOR
) -> EditableEvent:
    """The event locked for update with the caller's access to its organizer; 404/403 as the module says."""
    row = await repository.lock_event(conn, event_id)
    not_found = EventNotFound(f"event {event_id} not found")
    if row is None:
        raise not_found
    access = await authorize(conn, subject, row["organizer_id"], min_role, not_found=not_found)
    return EditableEvent(row, access)


async def event_for_editor(conn: Conn, subject: Subject, event_id: UUID) -> dict[str, Any]:
    """The event's row, locked FOR UPDATE, when ``subject`` may edit it (editor, owner or admin)."""
    return (await event_with_access(conn, subject, event_id)).row


@dataclass(frozen=True, slots=True)
class EditableEvent:
    """An event the caller may edit, locked in the request's transaction."""

    row: dict[str, Any]
    access: OrganizerAccess

    @property
    def id(self) -> UUID:
        event_id: UUID = self.row["id"]
        return event_id

    @property
    def cell(self) -> int:
        return int(self.row["cell"])

    @property
    def organizer_id(self) -> UUID:
        return self.access.organizer_id


async def editable_event(
    event_id: Annotated[UUID, Path()], subject: VerifiedSubjectDep, work: UnitOfWorkDep
) -> EditableEvent:
    return await event_with_access(work.conn, subject, event_id)


EditableEventDep = Annotated[EditableEvent, Depends(editable_event)]

"""The venues domain's one call into the audit log (who changed which venue, when, from what to what).

WIRE AFTER MERGE: ``app.audit.service.record`` is written on the ``publishing`` branch. Until that
branch is merged this records nothing; after the merge, replace the body with the call below.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from app.accounts.auth import Subject
from app.db import Conn

VenueAction = Literal["created", "updated"]


async def record_venue_change(
    conn: Conn,
    venue: dict[str, Any],
    subject: Subject,
    action: VenueAction,
    before: dict[str, Any] | None,
    after: dict[str, Any],
    at: datetime,
) -> None:
    """Record one venue write in the organizer's audit log, in the write's transaction."""
    # WIRE AFTER MERGE (publishing):
    # await app.audit.service.record(
    #     conn, organizer_id=venue["organizer_id"], actor=subject.account_id, entity="venue",
    #     entity_id=venue["id"], action=action, before=_jsonable(before), after=_jsonable(after), at=at,
    # )
    del conn, venue, subject, action, before, after, at

"""The venues domain's one call into the audit log (who changed which venue, when, from what to what)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from app.accounts.auth import Subject
from app.audit import service as audit
from app.db import Conn

VenueAction = Literal["created", "updated"]
# The venue's own fields: nothing about a person goes into the log (app.audit.service).
_FIELDS = ("name", "address", "city", "country_code", "timezone", "lat", "lon")


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
    await audit.record(
        conn, organizer_id=venue["organizer_id"], actor=subject.account_id, entity="venue", entity_id=venue["id"],
        action=action, before=_snapshot(before), after=_snapshot(after), at=at,
    )  # fmt: skip


def _snapshot(venue: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if venue is None else {field: venue[field] for field in _FIELDS}

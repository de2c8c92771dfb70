"""Reading a series' occurrences (``GET /events/{id}/occurrences``): who sees which, keyset pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from app.accounts.auth import Subject
from app.db import Conn
from app.errors import InvalidParameter
from app.organizers.repository import organizer_in_scope
from app.series import repository
from app.series.errors import NotAnOccurrence

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


async def occurrence_page(
    conn: Conn, event_id: UUID, subject: Subject | None, cursor: str | None, limit: int
) -> dict[str, Any]:
    """One page of the series' occurrences after ``cursor``; 404 when the caller may not see the event."""
    event = await repository.series_of_event(conn, event_id)
    if event is None or event["series_id"] is None:
        raise NotAnOccurrence(f"event {event_id} is not an occurrence of a series")
    member = subject is not None and await _member(conn, subject, event["organizer_id"])
    if not member and event["status"] not in ("published", "cancelled"):
        raise NotAnOccurrence(f"event {event_id} is not an occurrence of a series")
    after = None if cursor is None else _decode(cursor)
    rows = await repository.occurrence_page(conn, event["series_id"], after, limit + 1, public_only=not member)
    items = rows[:limit]
    next_cursor = _encode(items[-1]["recurrence_id"]) if len(rows) > limit else None
    rule = await repository.series_rule(conn, event["series_id"])
    return {"series_id": event["series_id"], "rrule": rule, "items": items, "next_cursor": next_cursor}


async def _member(conn: Conn, subject: Subject, organizer_id: UUID) -> bool:
    row = await organizer_in_scope(conn, organizer_id, subject.account_id, any_organizer=subject.role == "admin")
    return row is not None


def _encode(instant: datetime) -> str:
    """A cursor: the last item's recurrence id in microseconds since 1970 (nothing secret in it)."""
    return str((instant - _EPOCH) // _MICROSECOND)


def _decode(cursor: str) -> datetime:
    if not cursor.isdigit() or len(cursor) > 18:
        raise InvalidParameter("cursor is not one this list gave", param="cursor")
    return _EPOCH + int(cursor) * _MICROSECOND

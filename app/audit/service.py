"""Recording and reading the audit log.

Contract (venues, series, members and later domains call ``record`` in their writes):

``await record(conn, organizer_id=..., actor=..., entity="event", entity_id=..., action="published",
before={...}, after={...}, at=clock.now())`` inserts one entry in the caller's transaction: it is
written exactly when the change it describes is, and rolls back with it. ``actor`` is the account
that acted (``None`` for the system, e.g. a series extended by the worker). ``entity`` and
``action`` are short lower-case words (``[a-z_]{1,40}``); ``before``/``after`` are JSON-ready
snapshots of the object (``None`` when it did not exist before, or no longer does): keep them to
the object's own fields and never put a person's email, name or other personal data in them — the
erase only clears ``actor_account_id`` (``app.audit.personal_data``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from app.audit import repository
from app.db import Conn
from app.kit import keyset

__all__ = ["AuditPage", "page", "record"]

AuditPage = dict[str, Any]


async def record(
    conn: Conn,
    *,
    organizer_id: UUID,
    actor: UUID | None,
    entity: str,
    entity_id: UUID,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    at: datetime,
) -> None:
    """One entry of the organizer's audit log, in the caller's transaction."""
    await repository.insert(conn, organizer_id, actor, entity, entity_id, action, before, after, at)


async def page(conn: Conn, organizer_id: UUID, cursor: str | None, entity_id: UUID | None, limit: int) -> AuditPage:
    """One page of the organizer's log, newest first, with the cursor to the next (``None``: the last)."""
    before = None if cursor is None else keyset.decode(cursor)
    rows = await repository.page(conn, organizer_id, before, entity_id, limit + 1)
    items = rows[:limit]
    last = items[-1] if len(rows) > limit else None
    return {"items": items, "next_cursor": None if last is None else keyset.encode(last["at"], last["id"])}

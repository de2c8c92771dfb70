"""Every query of the audit log. Each names the organizer (the table's key and, on Citus, its distribution)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg.types.json import Jsonb

from app.db import Conn

Row = dict[str, Any]

_COLUMNS = "id, organizer_id, actor_account_id, entity, entity_id, action, before, after, at"


async def insert(
    conn: Conn,
    organizer_id: UUID,
    actor: UUID | None,
    entity: str,
    entity_id: UUID,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    at: datetime,
) -> None:
    await conn.execute(
        "INSERT INTO audit_log (organizer_id, actor_account_id, entity, entity_id, action, before, after, at) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
        (
            organizer_id, actor, entity, entity_id, action,
            None if before is None else Jsonb(before), None if after is None else Jsonb(after), at,
        ),
    )  # fmt: skip


async def page(
    conn: Conn, organizer_id: UUID, before: tuple[datetime, UUID] | None, entity_id: UUID | None, limit: int
) -> list[Row]:
    """Newest first, strictly before the cursor's ``(at, id)``; ``limit`` rows at most."""
    where = ["organizer_id = %(org)s"]
    params: dict[str, Any] = {"org": organizer_id, "limit": limit}
    if before is not None:
        where.append("(at, id) < (%(at)s, %(id)s)")
        params.update(at=before[0], id=before[1])
    if entity_id is not None:
        where.append("entity_id = %(entity_id)s")
        params["entity_id"] = entity_id
    cur = await conn.execute(
        f"SELECT {_COLUMNS} FROM audit_log WHERE {' AND '.join(where)} ORDER BY at DESC, id DESC LIMIT %(limit)s",
        params,
    )
    return await cur.fetchall()

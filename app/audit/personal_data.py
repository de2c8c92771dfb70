"""What the audit log holds about a person, for the export and the erase (``app.privacy.registry``).

- **export**: the entries the person made (their ``actor_account_id``), newest first, bounded.
- **erase**: their entries stay (the organizer keeps the history of its objects) but no longer
  name them: ``actor_account_id`` becomes NULL (the foreign key also says ``ON DELETE SET NULL``,
  a second line of defence). Entries hold the objects' own fields, never a person's data.
"""

from __future__ import annotations

from psycopg import sql

from app.db import Conn
from app.privacy.registry import MAX_EXPORT_ROWS, Erasure, Exported, Holder, Person, fetch_json

_MINE = sql.SQL(
    "SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY t.at DESC, t.id DESC), '[]'::jsonb) AS rows FROM ("
    "SELECT id, organizer_id, entity, entity_id, action, before, after, at FROM audit_log "
    "WHERE actor_account_id = %(account_id)s ORDER BY at DESC, id DESC LIMIT {limit}) AS t"
).format(limit=sql.Literal(MAX_EXPORT_ROWS))


async def _export(conn: Conn, person: Person) -> Exported:
    return await fetch_json(conn, _MINE, {"account_id": person.account_id})


async def _erase(conn: Conn, erasure: Erasure) -> None:
    await conn.execute(
        "UPDATE audit_log SET actor_account_id = NULL WHERE actor_account_id = %s", (erasure.person.account_id,)
    )


def holders() -> list[Holder]:
    return [Holder("audit_log", ("audit_log",), _export, _erase)]

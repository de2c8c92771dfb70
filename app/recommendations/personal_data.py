"""What the recommendations domain holds about a person: their interaction signals. Trained models
hold no person (tastes are folded in at request time), so nothing else needs erasing."""

from __future__ import annotations

from psycopg import sql

from app.db import Conn
from app.privacy.registry import MAX_EXPORT_ROWS, Erasure, Exported, Holder, Person, fetch_json

_SIGNALS = sql.SQL(
    "SELECT coalesce(jsonb_agg(jsonb_build_object('kind', kind, 'event_id', event_id, 'organizer_id', organizer_id, "
    "'category', category, 'occurred_at', occurred_at) ORDER BY occurred_at DESC), '[]'::jsonb) AS rows "
    "FROM (SELECT * FROM interactions WHERE account_id = %(account_id)s ORDER BY occurred_at DESC "
    f"LIMIT {MAX_EXPORT_ROWS}) AS i"
)


def holders() -> list[Holder]:
    return [Holder("interactions", ("interactions",), _export, _erase)]


async def _export(conn: Conn, person: Person) -> Exported:
    return await fetch_json(conn, _SIGNALS, {"account_id": person.account_id})


async def _erase(conn: Conn, erasure: Erasure) -> None:
    await conn.execute("DELETE FROM interactions WHERE account_id = %s", (erasure.person.account_id,))

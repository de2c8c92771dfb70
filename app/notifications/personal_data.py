"""What the notifications domain holds about a person, for the export and the erase (``app.privacy.registry``)."""

from __future__ import annotations

from psycopg import sql

from app.db import Conn
from app.privacy.registry import Erasure, Exported, Holder, Person, fetch_json, owned_rows

_GEOFENCES = sql.SQL(
    "SELECT coalesce(jsonb_agg(jsonb_build_object('id', g.id, 'name', g.name, 'area', g.shape, "
    "'categories', g.categories, 'price_max', g.price_max, 'days', g.days, 'time_from', g.time_from, "
    "'time_to', g.time_to, 'created_at', g.created_at) ORDER BY g.created_at), '[]'::jsonb) AS rows "
    "FROM geofences g WHERE g.account_id = %(account_id)s"
)


async def _export_geofences(conn: Conn, person: Person) -> Exported:
    return await fetch_json(conn, _GEOFENCES, {"account_id": person.account_id})


async def _erase_geofences(conn: Conn, erasure: Erasure) -> None:
    # geofence_cells go with their geofence (ON DELETE CASCADE)
    await conn.execute("DELETE FROM geofences WHERE account_id = %s", (erasure.person.account_id,))


def holders() -> list[Holder]:
    """Push devices (tokens hidden), geofences (and their cover cells), notices, preferences."""
    return [
        owned_rows("push_devices", "push_devices", order_by="created_at", hidden=("token", "p256dh", "auth")),
        Holder("geofences", ("geofences", "geofence_cells"), _export_geofences, _erase_geofences),
        owned_rows("notices", "notices", order_by="id"),
        owned_rows("notification_settings", "notification_settings", order_by="account_id"),
    ]

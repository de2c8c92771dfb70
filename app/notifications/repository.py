"""Every query of the notifications domain's own tables (devices, geofences, settings, inbox)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from psycopg.types.json import Jsonb

from app.db import Conn
from geo.geofence import Area

# ------------------------------------------------------------------------------------------- devices


async def count_devices(conn: Conn, account_id: UUID) -> int:
    cur = await conn.execute("SELECT count(*) AS n FROM push_devices WHERE account_id = %s", (account_id,))
    row = await cur.fetchone()
    return 0 if row is None else int(row["n"])


async def upsert_device(
    conn: Conn, account_id: UUID, platform: str, token: str, p256dh: str | None, auth: str | None
) -> dict[str, Any]:
    """One row per (platform, token): registering a token again (on any account) takes it over."""
    cur = await conn.execute(
        "INSERT INTO push_devices (account_id, platform, token, p256dh, auth) VALUES (%s, %s, %s, %s, %s) "
        "ON CONFLICT (platform, token) DO UPDATE SET account_id = EXCLUDED.account_id, p256dh = EXCLUDED.p256dh, "
        "auth = EXCLUDED.auth, last_error = NULL RETURNING id, platform, created_at",
        (account_id, platform, token, p256dh, auth),
    )
    row = await cur.fetchone()
    assert row is not None
    return row


async def delete_device(conn: Conn, account_id: UUID, platform: str, token: str) -> int:
    cur = await conn.execute(
        "DELETE FROM push_devices WHERE account_id = %s AND platform = %s AND token = %s",
        (account_id, platform, token),
    )
    return cur.rowcount


# ----------------------------------------------------------------------------------------- geofences

_GEOFENCE_COLUMNS = "id, name, shape, categories, price_max, days, time_from, time_to, created_at, updated_at"


async def count_geofences(conn: Conn, account_id: UUID) -> int:
    cur = await conn.execute("SELECT count(*) AS n FROM geofences WHERE account_id = %s", (account_id,))
    row = await cur.fetchone()
    return 0 if row is None else int(row["n"])


async def lock_person_geofences(conn: Conn, account_id: UUID) -> None:
    """Serialise one person's geofence writes (the count limit is checked under this lock)."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext('geofences:' || %s::text))", (str(account_id),))


async def list_geofences(conn: Conn, account_id: UUID, limit: int) -> list[dict[str, Any]]:
    cur = await conn.execute(
        f"SELECT {_GEOFENCE_COLUMNS} FROM geofences WHERE account_id = %s ORDER BY created_at, id LIMIT %s",
        (account_id, limit),
    )
    return await cur.fetchall()


async def insert_geofence(
    conn: Conn, account_id: UUID, area: Area, shape: dict[str, Any], filters: dict[str, Any], cells: list[int]
) -> dict[str, Any]:
    cur = await conn.execute(
        "INSERT INTO geofences (account_id, name, area, shape, center, radius_m, categories, price_max, days, "
        "time_from, time_to) VALUES (%(account_id)s, %(name)s, ST_SetSRID(%(area)s::geometry, 4326), %(shape)s, "
        "CASE WHEN %(lat)s::float8 IS NULL THEN NULL ELSE "
        "ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography END, %(radius_m)s, %(categories)s, "
        f"%(price_max)s, %(days)s, %(time_from)s, %(time_to)s) RETURNING {_GEOFENCE_COLUMNS}",
        _geofence_values(account_id, area, shape, filters),
    )
    row = await cur.fetchone()
    assert row is not None
    await _write_cells(conn, row["id"], cells)
    return row


async def update_geofence(
    conn: Conn,
    account_id: UUID,
    geofence_id: UUID,
    area: Area | None,
    shape: dict[str, Any] | None,
    filters: dict[str, Any],
    cells: list[int] | None,
) -> dict[str, Any] | None:
    sets = [f"{name} = %({name})s" for name in filters]
    values: dict[str, Any] = {"id": geofence_id, "account_id": account_id}
    if area is not None and shape is not None:
        sets += [
            "area = ST_SetSRID(%(area)s::geometry, 4326)",
            "shape = %(shape)s",
            "radius_m = %(radius_m)s",
            "center = CASE WHEN %(lat)s::float8 IS NULL THEN NULL ELSE "
            "ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography END",
        ]
        values.update(_geofence_values(account_id, area, shape, {}))
    values.update(filters)  # given with a new area, the filters are set too (not the area's blank ones)
    sets.append("updated_at = now()")
    cur = await conn.execute(
        f"UPDATE geofences SET {', '.join(sets)} WHERE id = %(id)s AND account_id = %(account_id)s "
        f"RETURNING {_GEOFENCE_COLUMNS}",
        values,
    )
    row = await cur.fetchone()
    if row is not None and cells is not None:
        await conn.execute("DELETE FROM geofence_cells WHERE geofence_id = %s", (geofence_id,))
        await _write_cells(conn, geofence_id, cells)
    return row


async def delete_geofence(conn: Conn, account_id: UUID, geofence_id: UUID) -> int:
    cur = await conn.execute("DELETE FROM geofences WHERE id = %s AND account_id = %s", (geofence_id, account_id))
    return cur.rowcount


def _geofence_values(account_id: UUID, area: Area, shape: dict[str, Any], filters: dict[str, Any]) -> dict[str, Any]:
    lat, lon = area.center if area.center is not None else (None, None)
    return {
        "account_id": account_id,
        "area": area.wkb_hex,
        "shape": Jsonb(shape),
        "lat": lat,
        "lon": lon,
        "radius_m": None if area.radius_m is None else round(area.radius_m),
        "name": filters.get("name") or "",
        "categories": filters.get("categories"),
        "price_max": filters.get("price_max"),
        "days": filters.get("days"),
        "time_from": filters.get("time_from"),
        "time_to": filters.get("time_to"),
    }


async def _write_cells(conn: Conn, geofence_id: UUID, cells: list[int]) -> None:
    await conn.execute(
        "INSERT INTO geofence_cells (cell, geofence_id) SELECT unnest(%s::bigint[]), %s", (cells, geofence_id)
    )


# ------------------------------------------------------------------------------------------ settings


async def read_settings(conn: Conn, account_id: UUID) -> dict[str, Any] | None:
    cur = await conn.execute("SELECT * FROM notification_settings WHERE account_id = %s", (account_id,))
    return await cur.fetchone()


async def write_settings(conn: Conn, account_id: UUID, values: dict[str, Any]) -> None:
    columns = list(values)
    if not columns:
        await conn.execute(
            "INSERT INTO notification_settings (account_id) VALUES (%s) ON CONFLICT DO NOTHING", (account_id,)
        )
        return
    names = ", ".join(columns)
    placeholders = ", ".join(f"%({c})s" for c in columns)
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns)
    # ``EXCLUDED.updated_at`` is the column's default, now(), taken in VALUES: on Citus a function in
    # DO UPDATE SET must be immutable, even on a table kept on the coordinator.
    await conn.execute(
        f"INSERT INTO notification_settings (account_id, {names}) VALUES (%(account_id)s, {placeholders}) "
        f"ON CONFLICT (account_id) DO UPDATE SET {updates}, updated_at = EXCLUDED.updated_at",
        {**values, "account_id": account_id},
    )


async def take_location_slot(conn: Conn, account_id: UUID, now: datetime, every_s: int) -> bool:
    """Record a location report unless one came less than ``every_s`` ago (then False).

    The cut-off is computed here: on Citus the ON CONFLICT clause admits immutable functions only
    (``timestamptz - interval`` is not).
    """
    cur = await conn.execute(
        "INSERT INTO notification_settings (account_id, last_location_at) VALUES (%(a)s, %(now)s) "
        "ON CONFLICT (account_id) DO UPDATE SET last_location_at = %(now)s "
        "WHERE notification_settings.last_location_at IS NULL "
        "OR notification_settings.last_location_at <= %(since)s "
        "RETURNING starting_soon",
        {"a": account_id, "now": now, "since": now - timedelta(seconds=every_s)},
    )
    row = await cur.fetchone()
    return row is not None and bool(row["starting_soon"])


# --------------------------------------------------------------------------------------------- inbox


async def inbox(conn: Conn, account_id: UUID, limit: int, before: int | None) -> list[dict[str, Any]]:
    cur = await conn.execute(
        "SELECT id, event_id, kind, title, body, data, created_at, state, sent_at FROM notices "
        "WHERE account_id = %s AND (%s::bigint IS NULL OR id < %s) ORDER BY id DESC LIMIT %s",
        (account_id, before, before, limit + 1),
    )
    return await cur.fetchall()

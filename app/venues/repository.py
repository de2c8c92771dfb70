"""Every query of the venues domain. ``venues`` is a small reference table; events are reached by venue id."""

from __future__ import annotations

import math
from typing import Any
from uuid import UUID

from app.db import Conn, set_lock_timeout

_COLUMNS = (
    "id, organizer_id, name, address, city, country_code, timezone, created_at, updated_at, "
    "ST_Y(geom) AS lat, ST_X(geom) AS lon"
)
_POINT = "ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)"
# One venue's transaction-scoped advisory lock: shared by the event writes that copy the venue (its
# name and point) onto an event, exclusive for the venue's own writes. Not a row lock: on Citus
# `venues` is a reference table, and a row lock there (FOR SHARE, FOR UPDATE) takes a lock on the
# table's one shard that every write of `venues` waits for, whatever its row.
_VENUE_KEY = "hashtextextended('venue:' || %s::text, 0)"


async def get_venue(conn: Conn, venue_id: UUID) -> dict[str, Any] | None:
    cur = await conn.execute(f"SELECT {_COLUMNS} FROM venues WHERE id = %s", (venue_id,))
    return await cur.fetchone()


async def hold_venue(conn: Conn, venue_id: UUID) -> None:
    """Hold the venue (shared) to the end of the transaction: a write of the venue (``lock_venue``)
    waits for this one, and this one for a write of the venue already under way. Read the venue
    after this call, in a statement of its own (one that waited read before the wait)."""
    await conn.execute(f"SELECT pg_advisory_xact_lock_shared({_VENUE_KEY})", (venue_id,))


async def lock_venue(conn: Conn, venue_id: UUID, lock_timeout_ms: int | None = None) -> None:
    """Lock the venue for a write of its own to the end of the transaction, once every transaction
    holding it (``hold_venue``) has ended. ``lock_timeout_ms``: waiting longer raises
    ``LockNotAvailable``; the transaction's own ``lock_timeout`` is then restored."""
    if lock_timeout_ms is None:
        await conn.execute(f"SELECT pg_advisory_xact_lock({_VENUE_KEY})", (venue_id,))
        return
    cur = await conn.execute(
        "SELECT current_setting('lock_timeout') AS before, set_config('lock_timeout', %s, true)",
        (f"{int(lock_timeout_ms)}ms",),
    )
    row = await cur.fetchone()
    assert row is not None
    await conn.execute(f"SELECT pg_advisory_xact_lock({_VENUE_KEY})", (venue_id,))
    await conn.execute("SELECT set_config('lock_timeout', %s, true)", (row["before"],))


async def lock_organizer_venues(conn: Conn, organizer_id: UUID, lock_timeout_ms: int) -> None:
    """Serialise the same-venue check of one organizer's writes (a transaction-scoped advisory lock)."""
    await set_lock_timeout(conn, lock_timeout_ms)
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended('venues:' || %s::text, 0))", (organizer_id,))


async def venues_near(
    conn: Conn, organizer_id: UUID, lat: float, lon: float, radius_m: float, *, other_than: UUID | None = None
) -> list[dict[str, Any]]:
    """The organizer's venues within ``radius_m`` of the point, nearest first, with ``distance_m``.

    The bounding-box test (degrees, widened for the latitude) uses the GiST index on ``geom``;
    the geodesic distance then decides.
    """
    cur = await conn.execute(
        f"""
        SELECT id, name, ST_Distance(geom::geography, {_POINT}::geography) AS distance_m
        FROM venues
        WHERE organizer_id = %(organizer_id)s
          AND geom && ST_Expand({_POINT}, %(degrees)s)
          AND ST_DWithin(geom::geography, {_POINT}::geography, %(radius_m)s)
          AND id IS DISTINCT FROM %(other_than)s
        ORDER BY distance_m, id
        LIMIT 100
        """,
        {
            "organizer_id": organizer_id, "lat": lat, "lon": lon, "radius_m": radius_m, "other_than": other_than,
            # metres to degrees of longitude at this latitude (the wider of the two), capped near the poles
            "degrees": radius_m / 111_320.0 / max(0.01, _cos_deg(lat)),
        },
    )
    return await cur.fetchall()


def _cos_deg(lat: float) -> float:
    return math.cos(math.radians(lat))


async def insert_venue(conn: Conn, values: dict[str, Any]) -> dict[str, Any]:
    cur = await conn.execute(
        f"""
        INSERT INTO venues (organizer_id, name, address, city, country_code, timezone, geom)
        VALUES (%(organizer_id)s, %(name)s, %(address)s, %(city)s, %(country_code)s, %(timezone)s, {_POINT})
        RETURNING {_COLUMNS}
        """,
        values,
    )
    row = await cur.fetchone()
    assert row is not None
    return row


async def update_venue(conn: Conn, venue_id: UUID, values: dict[str, Any], lat: float, lon: float) -> dict[str, Any]:
    """Write ``values`` and the point (the service copies a new name or point onto its events)."""
    assignments = "".join(f"{column} = %({column})s, " for column in values)
    cur = await conn.execute(
        f"UPDATE venues SET {assignments}geom = {_POINT}, updated_at = now() WHERE id = %(venue_id)s "
        f"RETURNING {_COLUMNS}",
        {**values, "lat": lat, "lon": lon, "venue_id": venue_id},
    )
    row = await cur.fetchone()
    assert row is not None
    return row


async def events_at(
    conn: Conn, venue_id: UUID, lat: float, lon: float, after: UUID | None, limit: int
) -> list[UUID]:
    """Ids of the venue's events standing at its point (lat, lon), in id order after ``after``.

    An event shown approximately is matched by its exact point (``exact_geom``, migration 0018).

    Found through ``events_venue_idx``; without a cell the query visits every partition's index
    (on Citus every shard), which a venue move, rare and organizer-driven, can afford.
    """
    cur = await conn.execute(
        f"""
        SELECT id FROM events
        WHERE venue_id = %(venue_id)s AND coalesce(exact_geom, geom) ~= {_POINT}
          AND (%(after)s::uuid IS NULL OR id > %(after)s)
        ORDER BY id LIMIT %(limit)s
        """,
        {"venue_id": venue_id, "lat": lat, "lon": lon, "after": after, "limit": limit},
    )
    return [row["id"] for row in await cur.fetchall()]


async def organizer_venues(
    conn: Conn, organizer_id: UUID, after: tuple[str, UUID] | None, limit: int
) -> list[dict[str, Any]]:
    """One page of the organizer's venues in (name, id) order (``venues_organizer_name_idx``)."""
    if after is None:
        cur = await conn.execute(
            f"SELECT {_COLUMNS} FROM venues WHERE organizer_id = %s ORDER BY name, id LIMIT %s",
            (organizer_id, limit),
        )
    else:
        cur = await conn.execute(
            f"SELECT {_COLUMNS} FROM venues WHERE organizer_id = %s AND (name, id) > (%s, %s) "
            "ORDER BY name, id LIMIT %s",
            (organizer_id, after[0], after[1], limit),
        )
    return await cur.fetchall()

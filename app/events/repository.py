"""Queries that write events. Every statement carries the partition key (cell) when it knows it."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from app.db import Conn

_POINT = "ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)"
_EVENT_COLUMNS = (
    "cell", "id", "organizer_id", "venue_id", "category", "title", "description", "tags",
    "starts_at", "ends_at", "timezone", "status", "is_free", "price_min", "price_max",
    "currency", "capacity", "popularity", "series_id", "recurrence_id",
)


async def hold_venue(conn: Conn, venue_id: UUID) -> tuple[float, float] | None:
    """The venue's point, its row held (FOR SHARE) to the end of the transaction.

    A new event stores a copy of its venue's name and point (migration 0007): holding the row
    makes a concurrent rename wait for the insert, whose copy the rename's trigger then updates.
    """
    cur = await conn.execute(
        "SELECT ST_Y(geom) AS lat, ST_X(geom) AS lon FROM venues WHERE id = %s FOR SHARE", (venue_id,)
    )
    row = await cur.fetchone()
    return None if row is None else (row["lat"], row["lon"])


async def insert_event(conn: Conn, values: dict[str, Any], lat: float, lon: float) -> dict[str, Any]:
    """Insert the event at ``lat, lon`` with its venue's copy (hold the venue first: ``hold_venue``)."""
    columns = [c for c in _EVENT_COLUMNS if c in values]
    placeholders = ", ".join(f"%({c})s" for c in columns)
    # The venue's copy (migration 0007) comes from the venue row, read once in this statement.
    cur = await conn.execute(
        f"INSERT INTO events ({', '.join(columns)}, geom, venue_name, venue_geom) "
        f"SELECT {placeholders}, {_POINT}, v.name, v.geom "
        "FROM (VALUES (%(venue_id)s::uuid)) AS given (venue_id) LEFT JOIN venues v ON v.id = given.venue_id "
        "RETURNING *, ST_Y(geom) AS lat, ST_X(geom) AS lon",
        {"venue_id": None, **values, "lat": lat, "lon": lon},
    )
    row = await cur.fetchone()
    assert row is not None
    return row


async def lock_event(conn: Conn, event_id: UUID) -> dict[str, Any] | None:
    """The event's row, locked for update until the transaction ends."""
    cur = await conn.execute(
        "SELECT *, ST_Y(geom) AS lat, ST_X(geom) AS lon FROM events WHERE id = %s FOR UPDATE", (event_id,)
    )
    return await cur.fetchone()

async def update_event(
    conn: Conn, cell: int, event_id: UUID, values: dict[str, Any], lat: float, lon: float
) -> dict[str, Any]:
    """Write ``values`` (may include a new ``cell``: PostgreSQL then moves the row's partition)."""
    assignments = ", ".join(f"{c} = %({c})s" for c in values)
    cur = await conn.execute(
        f"UPDATE events SET {assignments}, geom = {_POINT}, "
        "updated_at = now() WHERE cell = %(old_cell)s AND id = %(event_id)s "
        "RETURNING *, ST_Y(geom) AS lat, ST_X(geom) AS lon",
        {**values, "lat": lat, "lon": lon, "old_cell": cell, "event_id": event_id},
    )
    row = await cur.fetchone()
    assert row is not None
    return row

async def delete_event(conn: Conn, cell: int, event_id: UUID) -> None:
    await conn.execute("DELETE FROM events WHERE cell = %s AND id = %s", (cell, event_id))


async def delete_events_of_organizers(conn: Conn, organizer_ids: list[UUID]) -> list[dict[str, Any]]:
    """Delete every event of these organizers; their ids and points (for the map's caches).

    Without a cell the statement reaches every partition (on Citus, every shard) through the
    organizer index: it serves the rare removal of a whole organizer, never a request's path.
    """
    cur = await conn.execute(
        "DELETE FROM events WHERE organizer_id = ANY(%s) RETURNING cell, id, ST_Y(geom) AS lat, ST_X(geom) AS lon",
        (organizer_ids,),
    )
    return await cur.fetchall()

"""Queries that write events. Every statement carries the partition key (cell) when it knows it."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg.pq import TransactionStatus

from app.db import Conn

_POINT = "ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)"
# The exact point of an event shown approximately (NULL otherwise: geom is then the exact point).
_EXACT = "ST_SetSRID(ST_MakePoint(%(exact_lon)s, %(exact_lat)s), 4326)"
_VENUE_COPY = (
    "venue_name = (SELECT v.name FROM venues v WHERE v.id = %(venue_id)s), "
    "venue_geom = (SELECT v.geom FROM venues v WHERE v.id = %(venue_id)s)"
)
_EVENT_COLUMNS = (
    "cell", "id", "organizer_id", "venue_id", "category", "title", "description", "tags",
    "starts_at", "ends_at", "timezone", "status", "is_free", "price_min", "price_max",
    "currency", "capacity", "popularity", "location_approximate", "sequence", "published_at",
    "series_id", "recurrence_id", "image_key",
)
# What every write returns: the row, its shown point and its exact one (the same unless approximate).
RETURNED = (
    "*, ST_Y(geom) AS lat, ST_X(geom) AS lon, "
    "ST_Y(coalesce(exact_geom, geom)) AS exact_lat, ST_X(coalesce(exact_geom, geom)) AS exact_lon"
)


def _exact_params(exact: tuple[float, float] | None) -> dict[str, float | None]:
    return {"exact_lat": None if exact is None else exact[0], "exact_lon": None if exact is None else exact[1]}


async def hold_organizer_venue(conn: Conn, venue_id: UUID) -> dict[str, Any] | None:
    """The venue's organizer, zone and point, its row held (FOR SHARE) as ``hold_venue`` says."""
    cur = await conn.execute(
        "SELECT organizer_id, timezone, ST_Y(geom) AS lat, ST_X(geom) AS lon FROM venues WHERE id = %s FOR SHARE",
        (venue_id,),
    )
    return await cur.fetchone()


async def hold_venue(conn: Conn, venue_id: UUID) -> tuple[float, float] | None:
    """The venue's point, its row held (FOR SHARE) to the end of the transaction.

    A new event stores a copy of its venue's name and point (ADR-9): holding the row makes a
    concurrent rename wait for the insert, whose copy the rename then rewrites (``copy_venue``).
    """
    cur = await conn.execute(
        "SELECT ST_Y(geom) AS lat, ST_X(geom) AS lon FROM venues WHERE id = %s FOR SHARE", (venue_id,)
    )
    row = await cur.fetchone()
    return None if row is None else (row["lat"], row["lon"])


async def insert_event(
    conn: Conn, values: dict[str, Any], lat: float, lon: float, exact: tuple[float, float] | None = None
) -> dict[str, Any]:
    """Insert the event shown at ``lat, lon`` with its venue's copy (hold the venue first: ``hold_venue``).

    ``exact``: the exact point of an event shown approximately (``lat, lon`` is then its area's centre).
    """
    columns = [c for c in _EVENT_COLUMNS if c in values]
    placeholders = ", ".join(f"%({c})s" for c in columns)
    # The venue's copy (migration 0007) comes from the venue row, read once in this statement.
    cur = await conn.execute(
        f"INSERT INTO events ({', '.join(columns)}, geom, exact_geom, venue_name, venue_geom) "
        f"SELECT {placeholders}, {_POINT}, {_EXACT}, v.name, v.geom "
        "FROM (VALUES (%(venue_id)s::uuid)) AS given (venue_id) LEFT JOIN venues v ON v.id = given.venue_id "
        f"RETURNING {RETURNED}",
        {"venue_id": None, **values, "lat": lat, "lon": lon, **_exact_params(exact)},
    )
    row = await cur.fetchone()
    assert row is not None
    return row


async def lock_event(conn: Conn, event_id: UUID) -> dict[str, Any] | None:
    """The event's row, locked for update until the transaction ends (call it inside one).

    By id alone, so no partition can be pruned: a custom plan (the pool's sessions force them, for
    the cell-keyed lists) would plan all 64 partitions on every call, 2 ms on a quiet machine and
    around 100 ms on a busy one, measured. A generic plan, prepared once per connection, runs each
    partition's id index (≈ 0.6 ms); ``SET LOCAL`` keeps the setting to this one statement.
    """
    rows = await generic_plan(conn, f"SELECT {RETURNED} FROM events WHERE id = %s FOR UPDATE", (event_id,))
    return rows[0] if rows else None


async def generic_plan(conn: Conn, statement: str, params: Any) -> list[dict[str, Any]]:
    """Run ``statement`` prepared, with a generic plan, in the caller's transaction (or its own).

    For statements over every partition (no cell to prune by): see ``lock_event``. Also used by
    ``app.series`` (a series' occurrences are found by ``series_id``).
    """
    if conn.info.transaction_status != TransactionStatus.IDLE:
        return await _with_generic_plan(conn, statement, params)
    async with conn.transaction():  # SET LOCAL needs a transaction (an autocommit read connection has none)
        return await _with_generic_plan(conn, statement, params)


async def _with_generic_plan(conn: Conn, statement: str, params: Any) -> list[dict[str, Any]]:
    await conn.execute("SET LOCAL plan_cache_mode = force_generic_plan")
    cur = await conn.execute(statement, params, prepare=True)
    rows = await cur.fetchall()
    await conn.execute("SET LOCAL plan_cache_mode TO DEFAULT")
    return rows


async def update_event(
    conn: Conn,
    cell: int,
    event_id: UUID,
    values: dict[str, Any],
    lat: float,
    lon: float,
    exact: tuple[float, float] | None = None,
) -> dict[str, Any]:
    """Write ``values`` (may include a new ``cell``: PostgreSQL then moves the row's partition, and a
    new ``venue_id``: the row then takes a copy of that venue's name and point).

    The event is shown at ``lat, lon``; ``exact`` is its exact point when it is shown approximately.
    """
    assignments = ", ".join(f"{c} = %({c})s" for c in values)
    if "venue_id" in values:  # the new venue's copy (none without a venue); the caller holds the venue
        assignments += f", {_VENUE_COPY}"
    cur = await conn.execute(
        f"UPDATE events SET {assignments}{', ' if values else ''}geom = {_POINT}, exact_geom = {_EXACT}, "
        "updated_at = now() WHERE cell = %(old_cell)s AND id = %(event_id)s "
        f"RETURNING {RETURNED}",
        {**values, "lat": lat, "lon": lon, "old_cell": cell, "event_id": event_id, **_exact_params(exact)},
    )
    row = await cur.fetchone()
    assert row is not None
    return row


async def copy_venue(conn: Conn, venue_id: UUID, name: str, lat: float, lon: float) -> None:
    """The venue's new name and point onto the copies of its events (a rename or a move).

    Without a cell the statement reaches every partition (on Citus, every shard) through
    ``events_venue_idx``: venue edits are rare and organizer-driven.
    """
    await conn.execute(
        f"UPDATE events SET venue_name = %(name)s, venue_geom = {_POINT} WHERE venue_id = %(venue_id)s",
        {"venue_id": venue_id, "name": name, "lat": lat, "lon": lon},
    )


async def delete_event(conn: Conn, cell: int, event_id: UUID) -> None:
    await conn.execute("DELETE FROM events WHERE cell = %s AND id = %s", (cell, event_id))


async def organizer_events(
    conn: Conn, organizer_id: UUID, status: str | None, after: tuple[datetime, UUID] | None, limit: int
) -> list[dict[str, Any]]:
    """The organizer's events of every status by start, after the cursor's ``(starts_at, id)``.

    Walks ``events_organizer_start_idx`` (migration 0018) in every partition, merged in order: an
    organizer's events are spread over the map, so no cell can be named (a generic plan, as in
    ``lock_event``).
    """
    where = ["organizer_id = %(org)s"]
    params: dict[str, Any] = {"org": organizer_id, "limit": limit}
    if status is not None:
        where.append("status = %(status)s")
        params["status"] = status
    if after is not None:
        where.append("(starts_at, id) > (%(after_at)s, %(after_id)s)")
        params.update(after_at=after[0], after_id=after[1])
    statement = f"SELECT {RETURNED} FROM events WHERE {' AND '.join(where)} ORDER BY starts_at, id LIMIT %(limit)s"
    return await generic_plan(conn, statement, params)


async def delete_events_of_organizers(conn: Conn, organizer_ids: list[UUID]) -> list[dict[str, Any]]:
    """Delete every event of these organizers; their ids and points (for the map's caches) and what
    the tile rollups counted of them.

    Without a cell the statement reaches every partition (on Citus, every shard) through the
    organizer index: it serves the rare removal of a whole organizer, never a request's path.
    """
    cur = await conn.execute(
        "DELETE FROM events WHERE organizer_id = ANY(%s) "
        "RETURNING cell, id, ST_Y(geom) AS lat, ST_X(geom) AS lon, status, px, py, category, ends_at",
        (organizer_ids,),
    )
    return await cur.fetchall()

"""Queries that write events. Every statement carries the partition key (cell) when it knows it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

from psycopg.pq import TransactionStatus

from app.db import Conn
from app.venues import repository as venues

T = TypeVar("T")

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
    """The venue's organizer, zone and point, the venue held as ``hold_venue`` says."""
    await venues.hold_venue(conn, venue_id)
    cur = await conn.execute(
        "SELECT organizer_id, timezone, ST_Y(geom) AS lat, ST_X(geom) AS lon FROM venues WHERE id = %s", (venue_id,)
    )
    return await cur.fetchone()


async def hold_venue(conn: Conn, venue_id: UUID) -> tuple[float, float] | None:
    """The venue's point, the venue held (``app.venues.repository.hold_venue``) to the end of the transaction.

    A new event stores a copy of its venue's name and point (ADR-9): holding the venue makes a
    concurrent rename wait for the insert, whose copy the rename then rewrites (``copy_venue``).
    """
    await venues.hold_venue(conn, venue_id)
    cur = await conn.execute("SELECT ST_Y(geom) AS lat, ST_X(geom) AS lon FROM venues WHERE id = %s", (venue_id,))
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

    Its cell comes from ``event_locator`` (migration 0028; on Citus a reference table, read on the
    node itself), and the row is then read in that cell alone: one partition, one shard. The
    locator is read again when the row has just moved away. On a single node, an event without a
    locator row (rows written with plain SQL) is found by its id alone, as follows; on Citus the
    locator is the answer (a statement by id alone cannot be planned there with a generic plan).

    By id alone, no partition can be pruned: a custom plan (the pool's sessions force them, for
    the cell-keyed lists) would plan all 64 partitions on every call, 2 ms on a quiet machine and
    around 100 ms on a busy one, measured. A generic plan, prepared once per connection, runs each
    partition's id index (≈ 0.6 ms); ``SET LOCAL`` keeps the setting to this one statement.
    """

    async def locked(cell: int) -> dict[str, Any] | None:
        cur = await conn.execute(
            f"SELECT {RETURNED} FROM events WHERE cell = %s AND id = %s FOR UPDATE", (cell, event_id)
        )
        return await cur.fetchone()

    row = await in_its_cell(conn, event_id, locked)
    if row is not None or await distributed(conn):
        return row
    rows = await generic_plan(conn, f"SELECT {RETURNED} FROM events WHERE id = %s FOR UPDATE", (event_id,))
    return rows[0] if rows else None


_citus: list[bool] = []


async def distributed(conn: Conn) -> bool:
    """Whether the database is a Citus coordinator (asked once per process)."""
    if not _citus:
        cur = await conn.execute("SELECT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') AS citus")
        row = await cur.fetchone()
        _citus.append(bool(row and row["citus"]))
    return _citus[0]


async def one_connection_per_node(conn: Conn) -> None:
    """On Citus: the transaction's statements over several shards use one connection per node.

    Citus refuses a write of a reference table (venues, series, their overrides) after a
    statement that read or wrote shards over parallel connections in the same transaction. A
    write that reaches events by something other than their cell (a venue's or a series' events)
    and then writes such a table calls this before its first statement over several shards.
    """
    if await distributed(conn):
        await conn.execute("SET LOCAL citus.multi_shard_modify_mode TO 'sequential'")


async def locate(conn: Conn, event_id: UUID) -> int | None:
    """The event's cell, from ``event_locator``."""
    cur = await conn.execute("SELECT cell FROM event_locator WHERE id = %s", (event_id,))
    row = await cur.fetchone()
    return None if row is None else int(row["cell"])


async def in_its_cell(conn: Conn, event_id: UUID, read: Callable[[int], Awaitable[T | None]]) -> T | None:
    """``read(cell)`` in the cell ``event_locator`` gives for the event; when it finds nothing there
    (the event has just moved away), once more in the cell the locator gives then. None: the
    locator does not know the event, or ``read`` found nothing."""
    tried: int | None = None
    for _ in range(2):
        cell = await locate(conn, event_id)
        if cell is None or cell == tried:
            return None
        if (found := await read(cell)) is not None:
            return found
        tried = cell
    return None


async def locate_many(conn: Conn, event_ids: list[UUID]) -> dict[UUID, int]:
    """The cells of those events that ``event_locator`` knows."""
    cur = await conn.execute("SELECT id, cell FROM event_locator WHERE id = ANY(%s)", (event_ids,))
    return {row["id"]: int(row["cell"]) for row in await cur.fetchall()}


async def place(conn: Conn, event_id: UUID, cell: int) -> None:
    """Record (or change) the event's cell in ``event_locator``."""
    await conn.execute(
        "INSERT INTO event_locator (id, cell) VALUES (%s, %s) ON CONFLICT (id) DO UPDATE SET cell = EXCLUDED.cell",
        (event_id, cell),
    )


async def forget(conn: Conn, event_ids: list[UUID]) -> None:
    await conn.execute("DELETE FROM event_locator WHERE id = ANY(%s)", (event_ids,))


# The rows that follow an event to its new cell, in foreign-key order (a table after those it
# references), each found in the old cell by the event's id (``%(id)s``) and the old cell (``%(old)s``).
_OF_ORDERS = "order_id IN (SELECT o.id FROM orders o WHERE o.cell = %(old)s AND o.event_id = %(id)s)"
_FOLLOWERS = (
    ("event_places", "event_id = %(id)s"),
    ("saved_events", "event_id = %(id)s"),
    ("rsvps", "event_id = %(id)s"),
    ("ticket_tiers", "event_id = %(id)s"),
    ("orders", "event_id = %(id)s"),
    ("order_items", _OF_ORDERS),
    ("tickets", "event_id = %(id)s"),
    ("checkins", "event_id = %(id)s"),
    ("payment_refunds", _OF_ORDERS),
)
_written_columns: dict[str, list[str]] = {}
# Rows on the coordinator (no shard is co-located with them) that keep the event's cell beside its
# id for reads in bulk by (cell, event_id): rewritten in place. The change log, notices and import
# links keep no cell (migration 0031): their readers ask ``event_locator``.
_CELL_COPIES = (
    "UPDATE interactions SET cell = %(new)s WHERE cell = %(old)s AND event_id = %(id)s",
    # An idempotent order request names its order by (cell, order_id); the orders moved with the event.
    "UPDATE order_requests SET cell = %(new)s WHERE cell = %(old)s AND account_id = ANY(%(buyers)s) "
    "AND order_id = ANY(%(orders)s)",
)


async def move_event(conn: Conn, old_cell: int, new_cell: int, event_id: UUID) -> None:
    """Move the event to ``new_cell``: a copy of its row and of every row bound to it in the new
    cell, then the old row deleted (its bound rows go with it), in the caller's transaction. Its
    locator row and the copies of its cell on the coordinator (``_CELL_COPIES``) are rewritten.

    The cell is the partition key here and the distribution column on Citus, which refuses to
    change it; the foreign keys ``(cell, …)`` do not cascade updates (migration 0028).
    """
    params: dict[str, Any] = {"old": old_cell, "new": new_cell, "id": event_id}
    # The locator first: on Citus a reference table's write runs on the coordinator's own copy too,
    # which must come before the transaction's statements over the workers' shards.
    await place(conn, event_id, new_cell)
    for table, where in (("events", "id = %(id)s"), *_FOLLOWERS):
        columns = await _columns_written(conn, table)
        chosen = ", ".join("%(new)s" if c == "cell" else c for c in columns)
        await conn.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) SELECT {chosen} FROM {table} "
            f"WHERE cell = %(old)s AND {where}",
            params,
        )
    cur = await conn.execute(
        "SELECT id, account_id FROM orders WHERE cell = %(new)s AND event_id = %(id)s AND account_id IS NOT NULL",
        params,
    )
    orders = await cur.fetchall()
    params.update(orders=[o["id"] for o in orders], buyers=list({o["account_id"] for o in orders}))
    for statement in _CELL_COPIES:
        await conn.execute(statement, params)
    await conn.execute("DELETE FROM events WHERE cell = %(old)s AND id = %(id)s", params)


async def _columns_written(conn: Conn, table: str) -> list[str]:
    """A table's columns that a copy writes (not generated ones), from the catalog, once."""
    if table not in _written_columns:
        cur = await conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' "
            "AND table_name = %s AND is_generated = 'NEVER' ORDER BY ordinal_position",
            (table,),
        )
        _written_columns[table] = [row["column_name"] for row in await cur.fetchall()]
    return _written_columns[table]


async def generic_plan(conn: Conn, statement: str, params: Any) -> list[dict[str, Any]]:
    """Run ``statement`` prepared, with a generic plan, in the caller's transaction (or its own).

    For statements over every partition (no cell to prune by): see ``lock_event``. Also used by
    ``app.series`` (a series' occurrences are found by ``series_id``).

    On Citus the statement runs as it is: the coordinator sends it to every shard, whose workers
    plan their partitions; a generic plan would leave the coordinator parameters it cannot plan with.
    """
    if await distributed(conn):
        cur = await conn.execute(statement, params)
        return await cur.fetchall()
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
    """Write ``values`` to the event in ``cell`` (a move to another cell is ``move_event`` first; a
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

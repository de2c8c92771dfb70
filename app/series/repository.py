"""Queries of recurring events: series rows, overrides, and a series' occurrence rows in ``events``.

Occurrence rows are found by ``series_id`` (``events_series_idx``). Without a cell that reaches
every partition (on Citus, every shard): acceptable for an organizer's write or the horizon job,
and the occurrences page reads one series at a time, bounded.

On Citus the series and their overrides are reference tables, written in the same transactions
that read the occurrences' shards: a series write runs its statements over several shards one
connection per node (``lock_series``, ``claim_series_behind``), and locks its occurrence rows
shard by shard, where Citus can plan ``FOR UPDATE`` (``occurrence_rows``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from psycopg.types.json import Jsonb

from app.db import Conn, set_lock_timeout
from app.events.errors import VenueNotFound
from app.events.repository import RETURNED, distributed, generic_plan, in_its_cell, one_connection_per_node
from app.venues import repository as venues

_SERIES_COLUMNS = (
    "organizer_id", "venue_id", "title", "description", "category", "tags", "status", "is_free", "price_min",
    "price_max", "currency", "capacity", "location_approximate", "rrule", "exdates", "dtstart_local", "duration",
    "timezone", "materialised_until", "rule_ends_at",
)
_SERIES_SELECT = "SELECT *, ST_Y(geom) AS lat, ST_X(geom) AS lon FROM event_series"



async def insert_series(conn: Conn, values: dict[str, Any], lat: float, lon: float) -> dict[str, Any]:
    columns = [c for c in _SERIES_COLUMNS if c in values]
    cur = await conn.execute(
        f"INSERT INTO event_series ({', '.join(columns)}, geom) "
        f"VALUES ({', '.join(f'%({c})s' for c in columns)}, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)) "
        "RETURNING *, ST_Y(geom) AS lat, ST_X(geom) AS lon",
        {**values, "lat": lat, "lon": lon},
    )
    row = await cur.fetchone()
    assert row is not None
    return row


async def lock_series(conn: Conn, series_id: UUID, lock_timeout_ms: int | None = None) -> dict[str, Any] | None:
    """The series row, locked until the transaction ends: every write of a series (and of its
    occurrences through it) takes this lock, so two materialisations never interleave. With
    ``lock_timeout_ms``, waiting longer raises ``LockNotAvailable`` (the timeout is then lifted)."""
    await one_connection_per_node(conn)
    if lock_timeout_ms is None:
        cur = await conn.execute(f"{_SERIES_SELECT} WHERE id = %s FOR UPDATE", (series_id,))
        return await cur.fetchone()
    await set_lock_timeout(conn, lock_timeout_ms)
    cur = await conn.execute(f"{_SERIES_SELECT} WHERE id = %s FOR UPDATE", (series_id,))
    row = await cur.fetchone()
    await set_lock_timeout(conn, 0)
    return row


async def snapshot(conn: Conn, series_id: UUID) -> dict[str, Any]:
    cur = await conn.execute(f"{_SERIES_SELECT} WHERE id = %s", (series_id,))
    row = await cur.fetchone()
    assert row is not None
    return row


async def claim_series_behind(conn: Conn, target: datetime) -> dict[str, Any] | None:
    """One series whose occurrences stop before ``target`` and whose rule goes on; skipped if locked."""
    await one_connection_per_node(conn)
    cur = await conn.execute(
        f"{_SERIES_SELECT} WHERE materialised_until < %(target)s "
        "AND (rule_ends_at IS NULL OR rule_ends_at >= materialised_until) "
        "ORDER BY materialised_until LIMIT 1 FOR UPDATE SKIP LOCKED",
        {"target": target},
    )
    return await cur.fetchone()


async def update_series(
    conn: Conn, series_id: UUID, values: dict[str, Any], point: tuple[float, float] | None = None
) -> dict[str, Any]:
    assignments = [f"{c} = %({c})s" for c in values]
    if point is not None:
        assignments.append("geom = ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)")
    lat, lon = point if point is not None else (None, None)
    cur = await conn.execute(
        f"UPDATE event_series SET {', '.join(assignments)}, updated_at = now() WHERE id = %(series_id)s "
        "RETURNING *, ST_Y(geom) AS lat, ST_X(geom) AS lon",
        {**values, "series_id": series_id, "lat": lat, "lon": lon},
    )
    row = await cur.fetchone()
    assert row is not None
    return row


async def venue_point(conn: Conn, venue_id: UUID) -> tuple[float, float] | None:
    """The venue's current point (None: deleted since)."""
    cur = await conn.execute("SELECT ST_Y(geom) AS lat, ST_X(geom) AS lon FROM venues WHERE id = %s", (venue_id,))
    row = await cur.fetchone()
    return None if row is None else (row["lat"], row["lon"])


async def organizer_venue(conn: Conn, venue_id: UUID, organizer_id: UUID) -> dict[str, Any]:
    """The organizer's venue (point and zone), held (``app.venues.repository.hold_venue``); 404
    ``venue-not-found`` for any other."""
    await venues.hold_venue(conn, venue_id)
    cur = await conn.execute(
        "SELECT timezone, ST_Y(geom) AS lat, ST_X(geom) AS lon FROM venues WHERE id = %s AND organizer_id = %s",
        (venue_id, organizer_id),
    )
    row = await cur.fetchone()
    if row is None:
        raise VenueNotFound(f"venue {venue_id} not found", param="venue_id")
    return row


async def overrides(conn: Conn, series_id: UUID, since: datetime) -> dict[datetime, dict[str, Any]]:
    cur = await conn.execute(
        "SELECT recurrence_id, starts_at, ends_at, venue_id, details, cancelled, "
        "ST_Y(geom) AS lat, ST_X(geom) AS lon FROM event_series_overrides "
        "WHERE series_id = %s AND recurrence_id >= %s",
        (series_id, since),
    )
    return {row["recurrence_id"]: row for row in await cur.fetchall()}


async def upsert_override(conn: Conn, series_id: UUID, recurrence_id: datetime, values: dict[str, Any]) -> None:
    """Merge ``values`` into the occurrence's override (``details`` merge key by key)."""
    point = values.get("point")
    cur_values = {
        "starts_at": values.get("starts_at"), "ends_at": values.get("ends_at"), "venue_id": values.get("venue_id"),
        "cancelled": values.get("cancelled"), "details": Jsonb(values.get("details", {})),
        "lat": None if point is None else point[0], "lon": None if point is None else point[1],
    }
    await conn.execute(
        "INSERT INTO event_series_overrides AS o (series_id, recurrence_id, starts_at, ends_at, venue_id, geom, "
        "details, cancelled) VALUES (%(series)s, %(rid)s, %(starts_at)s, %(ends_at)s, %(venue_id)s, "
        "ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326), %(details)s, coalesce(%(cancelled)s, false)) "
        "ON CONFLICT (series_id, recurrence_id) DO UPDATE SET "
        "starts_at = coalesce(EXCLUDED.starts_at, o.starts_at), ends_at = coalesce(EXCLUDED.ends_at, o.ends_at), "
        "venue_id = CASE WHEN %(point_given)s THEN EXCLUDED.venue_id ELSE o.venue_id END, "
        "geom = CASE WHEN %(point_given)s THEN EXCLUDED.geom ELSE o.geom END, "
        "details = o.details || EXCLUDED.details, cancelled = coalesce(%(cancelled)s, o.cancelled), "
        # The default's now(), as the insert computed it (Citus refuses a non-immutable function here).
        "updated_at = EXCLUDED.updated_at",
        {**cur_values, "series": series_id, "rid": recurrence_id, "point_given": point is not None},
    )


async def rekey_override(conn: Conn, series_id: UUID, old: datetime, new: datetime) -> None:
    await conn.execute(
        "UPDATE event_series_overrides SET recurrence_id = %s WHERE series_id = %s AND recurrence_id = %s "
        "AND NOT EXISTS (SELECT 1 FROM event_series_overrides WHERE series_id = %s AND recurrence_id = %s)",
        (new, series_id, old, series_id, new),
    )


async def drop_overrides_except(conn: Conn, series_id: UUID, since: datetime, keep: list[datetime]) -> None:
    """Forget the overrides of occurrences (from ``since`` on) that the rule no longer gives."""
    await conn.execute(
        "DELETE FROM event_series_overrides WHERE series_id = %s AND recurrence_id >= %s "
        "AND NOT recurrence_id = ANY(%s)",
        (series_id, since, keep),
    )


async def move_overrides(conn: Conn, from_series: UUID, to_series: UUID, since: datetime) -> None:
    await conn.execute(
        "UPDATE event_series_overrides SET series_id = %s WHERE series_id = %s AND recurrence_id >= %s",
        (to_series, from_series, since),
    )


async def occurrence_rows(conn: Conn, series_id: UUID, since: datetime) -> list[dict[str, Any]]:
    """The series' event rows whose rule start is at or after ``since``, locked for the rewrite (every
    column, as the events write service returns them: ``update_event(current=...)`` takes them as they are).

    By ``series_id``, no partition can be pruned: with custom plans, planning all 64 partitions took
    380-550 ms on the benchmark machine against 3-12 ms to run the generic plan prepared once.

    On Citus, which locks rows in one shard per statement only: the rows' keys are read over every
    shard, then locked cell by cell (a series' occurrences share one or a few cells). A row that
    moved to another cell in between is looked for again.
    """
    if not await distributed(conn):
        return await generic_plan(
            conn,
            f"SELECT {RETURNED} FROM events WHERE series_id = %s AND recurrence_id >= %s "
            "ORDER BY recurrence_id FOR UPDATE",
            (series_id, since),
        )
    locked: dict[UUID, dict[str, Any]] = {}
    for _ in range(3):
        cur = await conn.execute(
            "SELECT cell, id FROM events WHERE series_id = %s AND recurrence_id >= %s", (series_id, since)
        )
        by_cell: dict[int, list[UUID]] = {}
        for key in await cur.fetchall():
            if key["id"] not in locked:
                by_cell.setdefault(key["cell"], []).append(key["id"])
        if not by_cell:
            break
        for cell, ids in sorted(by_cell.items()):
            cur = await conn.execute(
                f"SELECT {RETURNED} FROM events WHERE cell = %s AND id = ANY(%s) AND series_id = %s "
                "AND recurrence_id >= %s ORDER BY id FOR UPDATE",
                (cell, ids, series_id, since),
            )
            locked.update((row["id"], row) for row in await cur.fetchall())
        if all(i in locked for ids in by_cell.values() for i in ids):
            break
    return sorted(locked.values(), key=lambda row: row["recurrence_id"])


async def series_of_event(conn: Conn, event_id: UUID) -> dict[str, Any] | None:
    """The event's series id, recurrence id, organizer and status (None: no such event).

    In its cell from ``event_locator`` (one partition, one shard); by id alone (every partition,
    every shard) when the locator does not know it there (rows written with plain SQL, a move).
    """
    columns = "id, cell, series_id, recurrence_id, organizer_id, status"

    async def read(cell: int) -> dict[str, Any] | None:
        cur = await conn.execute(f"SELECT {columns} FROM events WHERE cell = %s AND id = %s", (cell, event_id))
        return await cur.fetchone()

    if (row := await in_its_cell(conn, event_id, read)) is not None:
        return row
    cur = await conn.execute(f"SELECT {columns} FROM events WHERE id = %s", (event_id,))
    return await cur.fetchone()


async def occurrence_page(
    conn: Conn, series_id: UUID, after: datetime | None, limit: int, *, public_only: bool
) -> list[dict[str, Any]]:
    """Up to ``limit`` occurrences after the recurrence id ``after``, in order (a generic plan: no cell)."""
    statuses = ["published", "cancelled"] if public_only else ["draft", "published", "cancelled"]
    query = (
        "SELECT e.id, e.recurrence_id, e.starts_at, e.ends_at, e.timezone, e.status, (o.series_id IS NOT NULL) "
        "AS overridden FROM events e LEFT JOIN event_series_overrides o "
        "ON o.series_id = e.series_id AND o.recurrence_id = e.recurrence_id "
        "WHERE e.series_id = %s AND e.recurrence_id > %s AND e.status = ANY(%s) ORDER BY e.recurrence_id LIMIT %s"
    )
    return await generic_plan(conn, query, (series_id, after or datetime.min.replace(tzinfo=UTC), statuses, limit))


async def series_rule(conn: Conn, series_id: UUID) -> str | None:
    cur = await conn.execute("SELECT rrule FROM event_series WHERE id = %s", (series_id,))
    row = await cur.fetchone()
    return None if row is None else str(row["rrule"])

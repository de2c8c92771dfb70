"""Queries of the sharing domain: events as calendars and pages see them, feed tokens, sitemap chunks.

Public reads show what discovery shows (published and cancelled events). An event whose organizer
chose an approximate location never gives its place here: no GEO, no coordinates, no venue name or
address, only the city.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from app.db import Conn
from app.events.filter_sql import PUBLIC
from app.events.repository import generic_plan

# One event as a calendar entry or a page: everything but the exact point of an approximate one.
_SHARED = f"""
    SELECT e.cell, e.id, e.title, e.description, e.category, e.tags, e.starts_at, e.ends_at, e.timezone,
           e.status, e.sequence, e.created_at, e.updated_at, e.is_free, e.price_min, e.price_max, e.currency,
           e.series_id, e.recurrence_id, e.image_key, e.location_approximate,
           CASE WHEN e.location_approximate THEN NULL ELSE ST_Y(e.geom) END AS lat,
           CASE WHEN e.location_approximate THEN NULL ELSE ST_X(e.geom) END AS lon,
           CASE WHEN e.location_approximate THEN NULL ELSE v.name END AS venue_name,
           CASE WHEN e.location_approximate THEN NULL ELSE v.address END AS venue_address, v.city AS venue_city,
           v.country_code AS venue_country, o.id AS organizer_id, o.name AS organizer_name
    FROM events e
    JOIN organizers o ON o.id = e.organizer_id
    LEFT JOIN venues v ON v.id = e.venue_id
    WHERE {PUBLIC}
"""


async def _shared(conn: Conn, condition: str, params: Any) -> list[dict[str, Any]]:
    """``_SHARED`` with ``condition``, each row with ``rescheduled``: whether its time ever changed.

    The change log is read by the events' ids in a statement of its own: it stays on the
    coordinator under Citus, where a subquery correlated with ``events`` cannot be planned, and it
    keeps no cell (migration 0031), so a moved event keeps its reschedules."""
    cur = await conn.execute(_SHARED + condition, params)
    rows = await cur.fetchall()
    if rows:
        cur = await conn.execute(
            "SELECT DISTINCT event_id FROM event_changes WHERE event_id = ANY(%s) AND 'rescheduled' = ANY(aspects)",
            ([row["id"] for row in rows],),
        )
        rescheduled = {row["event_id"] for row in await cur.fetchall()}
        for row in rows:
            row["rescheduled"] = row["id"] in rescheduled
    return rows


async def shared_event(conn: Conn, event_id: UUID) -> dict[str, Any] | None:
    """One public event (by id alone: every partition's id index; on Citus a fan-out, see README)."""
    rows = await _shared(conn, " AND e.id = %s", (event_id,))
    return rows[0] if rows else None


async def shared_events(conn: Conn, keys: list[tuple[int, UUID]]) -> list[dict[str, Any]]:
    """Public events by (cell, id), in start order; each key carries its partition."""
    if not keys:
        return []
    return await _shared(
        conn,
        " AND (e.cell, e.id) IN (SELECT * FROM unnest(%s::bigint[], %s::uuid[])) ORDER BY e.starts_at, e.id",
        ([cell for cell, _ in keys], [event_id for _, event_id in keys]),
    )


async def shared_events_by_id(conn: Conn, ids: list[UUID]) -> list[dict[str, Any]]:
    """Public events by id alone, in start order (each id through every partition's id index)."""
    if not ids:
        return []
    return await _shared(conn, " AND e.id = ANY(%s) ORDER BY e.starts_at, e.id", (ids,))


async def organizer_events(conn: Conn, organizer_id: UUID, since: datetime, limit: int) -> list[dict[str, Any]]:
    """An organizer's public events ending after ``since``, soonest first, at most ``limit``."""
    return await _shared(
        conn, " AND e.organizer_id = %s AND e.ends_at >= %s ORDER BY e.starts_at, e.id LIMIT %s",
        (organizer_id, since, limit),
    )


async def organizer_name(conn: Conn, organizer_id: UUID) -> str | None:
    cur = await conn.execute("SELECT name FROM organizers WHERE id = %s", (organizer_id,))
    row = await cur.fetchone()
    return None if row is None else str(row["name"])


async def personal_event_keys(conn: Conn, account_id: UUID, since: datetime, limit: int) -> list[tuple[int, UUID]]:
    """The (cell, id) of the events a person saved, answered going or interested to, or holds a ticket
    for, that end after ``since``: at most ``limit``, soonest first."""
    cur = await conn.execute(
        "WITH mine AS ("
        " SELECT cell, event_id FROM saved_events WHERE account_id = %(account)s"
        " UNION SELECT cell, event_id FROM rsvps WHERE account_id = %(account)s"
        "  AND status IN ('going', 'interested', 'waitlisted')"
        " UNION SELECT cell, event_id FROM tickets WHERE account_id = %(account)s AND status = 'valid')"
        " SELECT m.cell, m.event_id FROM mine m JOIN events e ON e.cell = m.cell AND e.id = m.event_id"
        " WHERE e.ends_at >= %(since)s ORDER BY e.starts_at, e.id LIMIT %(limit)s",
        {"account": account_id, "since": since, "limit": limit},
    )
    return [(row["cell"], row["event_id"]) for row in await cur.fetchall()]


async def replace_feed_token(conn: Conn, account_id: UUID, token_hash: bytes, at: datetime) -> None:
    """Make ``token_hash`` the person's only calendar feed token (the old one stops working)."""
    await conn.execute(
        "INSERT INTO calendar_feed_tokens (account_id, token_hash, created_at) VALUES (%s, %s, %s) "
        "ON CONFLICT (account_id) DO UPDATE SET token_hash = EXCLUDED.token_hash, created_at = EXCLUDED.created_at",
        (account_id, token_hash, at),
    )


async def account_of_feed_token(conn: Conn, token_hash: bytes) -> UUID | None:
    cur = await conn.execute("SELECT account_id FROM calendar_feed_tokens WHERE token_hash = %s", (token_hash,))
    row = await cur.fetchone()
    return None if row is None else row["account_id"]


async def feed_token_created(conn: Conn, account_id: UUID) -> datetime | None:
    cur = await conn.execute("SELECT created_at FROM calendar_feed_tokens WHERE account_id = %s", (account_id,))
    row = await cur.fetchone()
    return None if row is None else row["created_at"]


async def delete_feed_token(conn: Conn, account_id: UUID) -> None:
    await conn.execute("DELETE FROM calendar_feed_tokens WHERE account_id = %s", (account_id,))


async def estimated_event_count(conn: Conn) -> int:
    """The planner's estimate of the events table's rows (its partitions' statistics; no scan)."""
    cur = await conn.execute(
        "SELECT coalesce(sum(greatest(c.reltuples, 0)), 0)::bigint AS n "
        "FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'events'::regclass"
    )
    row = await cur.fetchone()
    return 0 if row is None else int(row["n"])


async def sitemap_chunk(conn: Conn, low: UUID, high: UUID | None, now: datetime, limit: int) -> list[dict[str, Any]]:
    """Upcoming public events with ``low <= id < high`` (a range of the id index), at most ``limit``."""
    upper = "" if high is None else " AND e.id < %(high)s"
    cur = await conn.execute(
        "SELECT e.id, e.title, e.updated_at FROM events e "
        f"WHERE e.id >= %(low)s{upper} AND e.ends_at >= %(now)s AND {PUBLIC} ORDER BY e.id LIMIT %(limit)s",
        {"low": low, "high": high, "now": now, "limit": limit},
    )
    return await cur.fetchall()


async def shared_series(conn: Conn, series_id: UUID) -> dict[str, Any] | None:
    """A public series' rule and template (approximate: no point, no venue name or address), and its
    newest occurrence SEQUENCE and change time (the series feed's SEQUENCE and Last-Modified).

    The occurrences are read in a statement of their own, by ``series_id`` over every partition (a
    generic plan; on Citus every shard): Citus plans no subquery over ``events`` correlated with a
    reference table's row.
    """
    cur = await conn.execute(
        """
        SELECT s.id, s.title, s.description, s.category, s.status, s.rrule, s.exdates, s.dtstart_local,
               s.duration, s.timezone, s.created_at, s.updated_at, s.location_approximate,
               CASE WHEN s.location_approximate THEN NULL ELSE ST_Y(s.geom) END AS lat,
               CASE WHEN s.location_approximate THEN NULL ELSE ST_X(s.geom) END AS lon,
               CASE WHEN s.location_approximate THEN NULL ELSE v.name END AS venue_name,
               CASE WHEN s.location_approximate THEN NULL ELSE v.address END AS venue_address,
               v.city AS venue_city, o.id AS organizer_id, o.name AS organizer_name
        FROM event_series s
        JOIN organizers o ON o.id = s.organizer_id
        LEFT JOIN venues v ON v.id = s.venue_id
        WHERE s.id = %s AND s.status IN ('published', 'cancelled')
        """,
        (series_id,),
    )
    series = await cur.fetchone()
    if series is None:
        return None
    occurrences = await generic_plan(
        conn,
        "SELECT coalesce(max(sequence), 0) AS sequence, max(updated_at) AS rows_updated_at, "
        "(array_agg(id ORDER BY recurrence_id, id))[1] AS first_id FROM events WHERE series_id = %s",
        (series_id,),
    )
    return {**series, **occurrences[0]}


async def series_overrides(conn: Conn, series_id: UUID, limit: int) -> list[dict[str, Any]]:
    """The public occurrences of a series changed on their own (an override row), by recurrence id."""
    return await _shared(
        conn,
        " AND e.series_id = %(s)s AND e.recurrence_id IN "
        "(SELECT recurrence_id FROM event_series_overrides WHERE series_id = %(s)s) "
        "ORDER BY e.recurrence_id LIMIT %(limit)s",
        {"s": series_id, "limit": limit},
    )

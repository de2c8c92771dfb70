"""Every query of the recommendations domain.

Candidates are read per covering H3 cell (each read bound to one cell, so each is planned against
its single partition): the upcoming events inside the circle, once, then the most popular, the
soonest, and those of the organizers and categories the person likes, a bounded number of each,
so a request returns a few hundred rows whatever the size of the table. Every statement that
reaches ``events`` names its cells as constants: ``events`` has many partitions, each with many
indexes, and a join whose cells are known only at run time is planned against all of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from app.db import Conn
from app.events.repository import locate

PUBLIC = "e.status = 'published'"
_EVENT_COLUMNS = (
    "e.cell, e.id, e.organizer_id, e.venue_id, e.category, e.tags, e.title, ST_Y(e.geom) AS lat, "
    "ST_X(e.geom) AS lon, e.starts_at, e.ends_at, e.timezone, e.popularity, "
    "(extract(isodow FROM e.starts_at AT TIME ZONE e.timezone))::int - 1 AS weekday, "
    "(extract(hour FROM e.starts_at AT TIME ZONE e.timezone))::int AS hour"
)
_UPCOMING = f"{PUBLIC} AND e.status IN ('published', 'cancelled') AND e.ends_at > %(now)s AND e.starts_at < %(until)s"
_INSIDE = "ST_DWithin(e.geom::geography, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography, %(radius)s)"


async def candidates(
    conn: Conn,
    cells: Sequence[int],
    point: tuple[float, float],
    now: datetime,
    until: datetime,
    radius_m: float,
    per_branch: int,
    organizers: Sequence[UUID],
    categories: Sequence[str],
) -> list[dict[str, Any]]:
    """Upcoming public events near the point, per covering cell the ``per_branch`` first of each
    order: most popular, soonest, soonest of the liked organizers, most popular of the liked
    categories (each event once, with its organizer's name).

    One read of the circle per cell (its spatial index, a few columns), the four orders ranked over
    what it found, and the full rows read for the chosen only. The cells are constants of the
    statement, once per cell's read and again for the final join, so that each part is planned
    against the partitions of those cells only (a join on (cell, id) alone would be planned against
    every partition of the table)."""
    if not cells:
        return []
    params: dict[str, Any] = {
        "lat": point[0], "lon": point[1], "now": now, "until": until, "radius": radius_m, "n": per_branch,
        "organizers": list(organizers), "categories": list(categories), "cells": list(cells),
    }  # fmt: skip
    reads = []
    for i, cell in enumerate(cells):
        params[f"c{i}"] = cell
        reads.append(
            "(SELECT e.cell, e.id, e.popularity, e.starts_at, e.organizer_id, e.category FROM events e "
            f"WHERE e.cell = %(c{i})s AND {_UPCOMING} AND {_INSIDE})"
        )
    sql = (
        f"WITH near AS MATERIALIZED ({' UNION ALL '.join(reads)}), "
        "ranked AS (SELECT cell, id, organizer_id = ANY(%(organizers)s) AS liked_organizer, "
        "category = ANY(%(categories)s) AS liked_category, "
        "row_number() OVER (PARTITION BY cell ORDER BY -popularity, id) AS by_popularity, "
        "row_number() OVER (PARTITION BY cell ORDER BY starts_at, id) AS by_start, "
        "row_number() OVER (PARTITION BY cell, organizer_id = ANY(%(organizers)s) ORDER BY starts_at, id) "
        "AS by_organizer, "
        "row_number() OVER (PARTITION BY cell, category = ANY(%(categories)s) ORDER BY -popularity, id) "
        "AS by_category FROM near) "
        f"SELECT {_EVENT_COLUMNS}, o.name AS organizer_name FROM ranked r "
        "JOIN events e ON e.cell = r.cell AND e.id = r.id AND e.cell = ANY(%(cells)s) "
        "JOIN organizers o ON o.id = e.organizer_id "
        "WHERE r.by_popularity <= %(n)s OR r.by_start <= %(n)s OR (r.liked_organizer AND r.by_organizer <= %(n)s) "
        "OR (r.liked_category AND r.by_category <= %(n)s)"
    )
    cur = await conn.execute(sql, params)
    return await cur.fetchall()


async def event_by_id(conn: Conn, event_id: UUID) -> dict[str, Any] | None:
    """A public event: its cell from the id -> cell locator, then that one partition (shard). A row
    written without the write path (no locator row) is looked for by id alone, on every partition."""
    select = (
        f"SELECT {_EVENT_COLUMNS}, o.name AS organizer_name FROM events e JOIN organizers o ON o.id = e.organizer_id "
    )
    cell = await locate(conn, event_id)
    if cell is None:
        cur = await conn.execute(f"{select} WHERE e.id = %s AND {PUBLIC}", (event_id,))
    else:
        cur = await conn.execute(f"{select} WHERE e.cell = %s AND e.id = %s AND {PUBLIC}", (cell, event_id))
    return await cur.fetchone()


async def events_by_key(conn: Conn, keys: Sequence[tuple[int, UUID]], now: datetime) -> list[dict[str, Any]]:
    """Upcoming public events by (cell, id)."""
    if not keys:
        return []
    cur = await conn.execute(
        f"SELECT {_EVENT_COLUMNS}, o.name AS organizer_name FROM unnest(%s::bigint[], %s::uuid[]) AS k(cell, id) "
        # The cells again as constants: planned against their partitions only.
        "JOIN events e ON e.cell = k.cell AND e.id = k.id AND e.cell = ANY(%s) "
        "JOIN organizers o ON o.id = e.organizer_id "
        f"WHERE {PUBLIC} AND e.ends_at > %s",
        ([k[0] for k in keys], [k[1] for k in keys], sorted({k[0] for k in keys}), now),
    )
    return await cur.fetchall()


async def person_of(
    conn: Conn, account_id: UUID, since: datetime, limit: int
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """The person's latest signals with the facts of their events (when still there), and their
    interests and home (exact point or area cell, when consented).

    The signals and the profile go in one round trip (pipelined); the signals' events follow with
    the cells as constants, planned against those cells' partitions only (one join of the two
    partitioned tables was planned against every pair of partitions: tens of milliseconds)."""
    async with conn.pipeline():
        signals_cur = await conn.execute(
            "SELECT cell, event_id, organizer_id, category, kind, occurred_at FROM interactions "
            "WHERE account_id = %s AND occurred_at > %s ORDER BY occurred_at DESC LIMIT %s",
            (account_id, since, limit),
        )
        profile_cur = await conn.execute(
            "SELECT ARRAY(SELECT category FROM profile_interests i WHERE i.account_id = %(a)s ORDER BY category) "
            "AS interests, p.home_cell, p.home_radius_m, ST_Y(p.home_geom) AS home_lat, "
            "ST_X(p.home_geom) AS home_lon "
            "FROM (SELECT %(a)s::uuid AS account_id) AS me LEFT JOIN profiles p ON p.account_id = me.account_id",
            {"a": account_id},
        )
    signals = await signals_cur.fetchall()
    profile = await profile_cur.fetchone()
    keys = {(row["cell"], row["event_id"]) for row in signals if row["event_id"] is not None}
    events: dict[Any, dict[str, Any]] = {}
    if keys:
        cur = await conn.execute(
            "SELECT e.id, e.venue_id, e.tags, e.title, ST_Y(e.geom) AS lat, ST_X(e.geom) AS lon, e.starts_at, "
            "e.organizer_id AS event_organizer_id, e.category AS event_category, "
            "(extract(isodow FROM e.starts_at AT TIME ZONE e.timezone))::int - 1 AS weekday, "
            "(extract(hour FROM e.starts_at AT TIME ZONE e.timezone))::int AS hour "
            "FROM events e WHERE e.cell = ANY(%s) AND e.id = ANY(%s)",
            (sorted({cell for cell, _ in keys}), [event_id for _, event_id in keys]),
        )
        events = {row["id"]: row for row in await cur.fetchall()}
    missing = dict.fromkeys(("venue_id", "tags", "title", "lat", "lon", "starts_at", "event_organizer_id",
                             "event_category", "weekday", "hour"))  # fmt: skip
    return [{**row, **events.get(row["event_id"], missing)} for row in signals], profile


async def also_went(conn: Conn, cell: int, event_id: UUID, since: datetime, limit: int) -> list[tuple[int, UUID, int]]:
    """Events that people who saved, RSVPed or bought this one also did, by how many of them."""
    cur = await conn.execute(
        "WITH who AS (SELECT DISTINCT account_id FROM interactions WHERE cell = %(cell)s AND event_id = %(id)s "
        "AND kind IN ('save', 'rsvp', 'purchase') LIMIT 500) "
        "SELECT i.cell, i.event_id, count(DISTINCT i.account_id)::int AS people FROM interactions i "
        "JOIN who USING (account_id) WHERE i.event_id IS NOT NULL AND i.event_id <> %(id)s "
        "AND i.kind IN ('save', 'rsvp', 'purchase') AND i.occurred_at > %(since)s "
        "GROUP BY i.cell, i.event_id ORDER BY people DESC, i.event_id LIMIT %(limit)s",
        {"cell": cell, "id": event_id, "since": since, "limit": limit},
    )
    return [(row["cell"], row["event_id"], row["people"]) for row in await cur.fetchall()]


# ---------------------------------------------------------------- models


async def latest_version(conn: Conn) -> int:
    cur = await conn.execute("SELECT coalesce(max(version), 0) AS version FROM recommendation_models")
    row = await cur.fetchone()
    return int(row["version"]) if row else 0


async def model_payload(conn: Conn, version: int) -> bytes | None:
    cur = await conn.execute("SELECT payload FROM recommendation_models WHERE version = %s", (version,))
    row = await cur.fetchone()
    return None if row is None else bytes(row["payload"])


async def store_model(conn: Conn, payload: bytes, summary: str, keep: int) -> int:
    cur = await conn.execute(
        "INSERT INTO recommendation_models (payload, summary) VALUES (%s, %s::jsonb) RETURNING version",
        (payload, summary),
    )
    row = await cur.fetchone()
    assert row is not None
    version = int(row["version"])
    await conn.execute("DELETE FROM recommendation_models WHERE version <= %s", (version - keep,))
    return version


# ---------------------------------------------------------------- training input


async def training_signals(conn: Conn, since: datetime) -> list[dict[str, Any]]:
    """Every signal since ``since``: the columns of ``data.Interaction`` and nothing else."""
    cur = await conn.execute(
        "SELECT account_id, event_id, organizer_id, category, kind, "
        "extract(epoch FROM occurred_at)::float8 AS occurred_at "
        "FROM interactions WHERE occurred_at > %s ORDER BY occurred_at",
        (since,),
    )
    return await cur.fetchall()


async def training_events(conn: Conn, since: datetime, until: datetime, limit: int) -> list[dict[str, Any]]:
    """Public events that were interacted with or start in the training period (negatives)."""
    columns = (
        "e.id AS event_id, e.organizer_id, e.venue_id, e.category, e.tags, ST_Y(e.geom) AS lat, ST_X(e.geom) AS lon, "
        "extract(epoch FROM e.starts_at)::float8 AS starts_at, e.popularity AS listed_popularity, "
        "(extract(isodow FROM e.starts_at AT TIME ZONE e.timezone))::int - 1 AS weekday, "
        "(extract(hour FROM e.starts_at AT TIME ZONE e.timezone))::int AS hour"
    )
    cur = await conn.execute(
        f"(SELECT {columns} FROM events e JOIN (SELECT DISTINCT cell, event_id FROM interactions "
        "WHERE occurred_at > %(since)s AND event_id IS NOT NULL) i ON e.cell = i.cell AND e.id = i.event_id) "
        f"UNION (SELECT {columns} FROM events e WHERE {PUBLIC} AND e.starts_at > %(since)s "
        "AND e.starts_at < %(until)s ORDER BY e.starts_at LIMIT %(limit)s)",
        {"since": since, "until": until, "limit": limit},
    )
    return await cur.fetchall()


async def training_interests(conn: Conn, since: datetime) -> list[dict[str, Any]]:
    cur = await conn.execute(
        "SELECT account_id, array_agg(category ORDER BY category) AS interests FROM profile_interests "
        "WHERE account_id IN (SELECT DISTINCT account_id FROM interactions WHERE occurred_at > %s) "
        "GROUP BY account_id",
        (since,),
    )
    return await cur.fetchall()


# ---------------------------------------------------------------- partitions


async def ensure_month(conn: Conn, year: int, month: int) -> bool:
    """Create the month's partition of ``interactions`` if missing; rows of that month that fell into
    the DEFAULT partition move into it. True when created."""
    name = f"interactions_{year:04d}_{month:02d}"
    cur = await conn.execute("SELECT to_regclass(%s) IS NOT NULL AS present", (name,))
    row = await cur.fetchone()
    if row and row["present"]:
        return False
    start = datetime(year, month, 1).isoformat() + "+00:00"
    index = year * 12 + month  # the next month
    end = datetime(index // 12, index % 12 + 1, 1).isoformat() + "+00:00"
    await conn.execute(f"CREATE TABLE {name} (LIKE interactions INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
    await conn.execute(
        f"WITH moved AS (DELETE FROM interactions_default WHERE occurred_at >= %s AND occurred_at < %s RETURNING *) "
        f"INSERT INTO {name} SELECT * FROM moved",
        (start, end),
    )
    await conn.execute(f"ALTER TABLE interactions ATTACH PARTITION {name} FOR VALUES FROM ('{start}') TO ('{end}')")
    return True


async def drop_months_before(conn: Conn, year: int, month: int) -> int:
    """Drop the monthly partitions that end before the given month (retention)."""
    cur = await conn.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = 'interactions'::regclass AND c.relname ~ '^interactions_[0-9]{4}_[0-9]{2}$'"
    )
    dropped = 0
    for row in await cur.fetchall():
        name: str = row["relname"]
        if (int(name[13:17]), int(name[18:20])) < (year, month):
            await conn.execute(f"DROP TABLE {name}")
            dropped += 1
    return dropped


def since(now: datetime, days: int) -> datetime:
    return now - timedelta(days=days)

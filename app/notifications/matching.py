"""From an event change to notices: the geofences it falls in, and the people who hold the event.

``event_changes`` is the transactional outbox: the events write service inserts a row in the same
transaction as every write. ``drain_changes`` claims a batch of unhandled rows (``FOR UPDATE SKIP
LOCKED``: workers share the rows), writes the notices each implies and marks the rows handled, all
in one transaction: a crash before the commit leaves the rows unhandled and writes nothing; after it,
everything. The unique key of ``notices`` (person, event, kind, topic) is the last word on duplicates.

Matching runs in PostgreSQL: the event's cover cell (H3, resolution 5) selects candidate geofences
through ``geofence_cells``, then ``area`` (GiST) and, for circles, the geodesic distance decide; the
filters (categories, price ceiling, local weekday and time of the start) are SQL too. No person is
looked at in Python.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from app.db import Conn
from app.events.repository import in_its_cell
from geo.geofence import cover_cell

# Aspects that make geofence owners hear about an event ("new near you"), and attendees ("changed").
NEARBY_ASPECTS = {"published", "moved", "rescheduled"}
ATTENDEE_KINDS = (("cancelled", "cancelled"), ("moved", "moved"), ("rescheduled", "rescheduled"))

_EVENT = (
    "SELECT cell, id, title, category, starts_at, ends_at, timezone, status, is_free, price_min, "
    "ST_Y(geom) AS lat, ST_X(geom) AS lon, venue_name FROM events WHERE cell = %s AND id = %s"
)

# Geofences holding the point, with their filters; one insert per change.
MATCH_GEOFENCES = """
    SELECT DISTINCT g.account_id
    FROM geofence_cells c
    JOIN geofences g ON g.id = c.geofence_id
    WHERE c.cell = %(cover)s
      AND ST_Intersects(g.area, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326))
      AND (g.radius_m IS NULL OR ST_DWithin(
            g.center, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography, g.radius_m, false))
      AND (g.categories IS NULL OR %(category)s = ANY (g.categories))
      AND (g.price_max IS NULL OR %(is_free)s OR coalesce(%(price_min)s, 0) <= g.price_max)
      AND (g.days IS NULL OR %(isodow)s = ANY (g.days))
      AND (g.time_from IS NULL
           OR (g.time_from <= g.time_to AND %(minute)s >= g.time_from AND %(minute)s < g.time_to)
           OR (g.time_from > g.time_to AND (%(minute)s >= g.time_from OR %(minute)s < g.time_to)))
"""

INSERT_NOTICES = """
    INSERT INTO notices (account_id, event_id, kind, topic, title, body, data, created_at, next_attempt_at)
    SELECT p.account_id, %(event_id)s, %(kind)s, %(topic)s, %(title)s, %(body)s, %(data)s,
           %(now)s, %(now)s
    FROM ({people}) AS p
    LEFT JOIN notification_settings s ON s.account_id = p.account_id
    WHERE coalesce(s.{pref}, true)
    ON CONFLICT (account_id, event_id, kind, topic) DO NOTHING
    RETURNING 1
"""

# The people who hold an event: a save, an RSVP (but "not going") or a valid ticket. Every table is
# keyed by the event's (cell, id), so on Citus each part runs on the event's shard.
ATTENDEES = (
    "SELECT account_id FROM ("
    "SELECT account_id FROM saved_events WHERE cell = %(cell)s AND event_id = %(event_id)s "
    "UNION SELECT account_id FROM rsvps WHERE cell = %(cell)s AND event_id = %(event_id)s "
    "AND status IN ('going', 'interested', 'waitlisted') "
    "UNION SELECT account_id FROM tickets WHERE cell = %(cell)s AND event_id = %(event_id)s "
    "AND status = 'valid' AND account_id IS NOT NULL) AS attendees"
)
_ALREADY_TOLD = (
    "SELECT account_id FROM notices WHERE event_id = %(event_id)s AND kind = 'nearby' UNION " + ATTENDEES
)


async def drain_changes(conn: Conn, now: datetime, batch: int) -> int:
    """Handle up to ``batch`` pending changes in the caller's transaction; the number handled."""
    cur = await conn.execute(
        "SELECT id, event_id, kind, aspects FROM event_changes WHERE handled_at IS NULL "
        "ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED",
        (batch,),
    )
    rows = await cur.fetchall()
    for row in rows:
        await notices_for_change(conn, row["event_id"], set(row["aspects"]), now)
    if rows:
        await conn.execute(
            "UPDATE event_changes SET handled_at = %s WHERE id = ANY(%s)", (now, [row["id"] for row in rows])
        )
    return len(rows)


async def notices_for_change(conn: Conn, event_id: UUID, aspects: set[str], now: datetime) -> int:
    """Write the notices one change implies; the number written."""
    event = await _event(conn, event_id)
    if event is None:  # deleted since (its saves went with it)
        return 0
    written = 0
    if "cancelled" in aspects and event["status"] == "cancelled":
        text = notices_text("cancelled", event)
        written += await _insert(conn, _ALREADY_TOLD, "changes", event, "cancelled", "", text, now)
        return written
    if event["status"] != "published":
        return 0
    for aspect, kind in ATTENDEE_KINDS[1:]:
        if aspect in aspects and "published" not in aspects:
            topic = _topic(kind, event)
            written += await _insert(conn, ATTENDEES, "changes", event, kind, topic, notices_text(kind, event), now)
    if aspects & NEARBY_ASPECTS:
        people = MATCH_GEOFENCES + " EXCEPT " + ATTENDEES
        written += await _insert(conn, people, "nearby", event, "nearby", "", notices_text("nearby", event), now)
    return written


async def _event(conn: Conn, event_id: UUID) -> dict[str, Any] | None:
    """The event as it is now, in the cell ``event_locator`` gives (the log keeps no cell: the event
    may have moved since the change); read again once when it has just moved away. No locator
    row: the event is gone."""

    async def read(cell: int) -> dict[str, Any] | None:
        cur = await conn.execute(_EVENT, (cell, event_id))
        return await cur.fetchone()

    return await in_its_cell(conn, event_id, read)


def match_params(event: dict[str, Any]) -> dict[str, Any]:
    """The values the geofence filters compare: the event's point, cover cell, and local start."""
    local = event["starts_at"].astimezone(ZoneInfo(event["timezone"]))
    return {
        "cover": cover_cell(event["lat"], event["lon"]),
        "lat": event["lat"],
        "lon": event["lon"],
        "category": event["category"],
        "is_free": event["is_free"],
        "price_min": event["price_min"],
        "isodow": local.isoweekday(),
        "minute": local.hour * 60 + local.minute,
    }


async def _insert(
    conn: Conn,
    people: str,
    pref: str,
    event: dict[str, Any],
    kind: str,
    topic: str,
    text: tuple[str, str],
    now: datetime,
) -> int:
    from psycopg.types.json import Jsonb

    query = INSERT_NOTICES.format(people=people, pref=pref)
    data = {
        "event_id": str(event["id"]),
        "kind": kind,
        "starts_at": event["starts_at"].isoformat(),
        "lat": f"{event['lat']:.5f}",
        "lon": f"{event['lon']:.5f}",
    }
    params = {
        **match_params(event),
        "cell": event["cell"],  # the attendees' rows are read in the event's cell
        "event_id": event["id"],
        "kind": kind,
        "topic": topic,
        "title": text[0],
        "body": text[1],
        "data": Jsonb(data),
        "now": now,
    }
    return await write_notices(conn, query, params)


async def write_notices(conn: Conn, query: str, params: dict[str, Any]) -> int:
    """Run an ``INSERT_NOTICES`` statement; the number of notices it wrote.

    Counted from the rows returned, not the command's row count: on Citus an INSERT ... SELECT that
    pulls its rows to the coordinator counts the rows it selected, those a conflict skipped too.
    """
    cur = await conn.execute(query, params)
    return len(await cur.fetchall())


def _topic(kind: str, event: dict[str, Any]) -> str:
    """What makes a second change of the same kind news again (a new time, a new place)."""
    if kind == "rescheduled":
        return str(event["starts_at"].isoformat())
    if kind == "moved":
        return f"{event['lat']:.4f},{event['lon']:.4f}"
    return ""


def _local(event: dict[str, Any]) -> str:
    return str(event["starts_at"].astimezone(ZoneInfo(event["timezone"])).strftime("%a %d %b, %H:%M"))


def notices_text(kind: str, event: dict[str, Any]) -> tuple[str, str]:
    title = str(event["title"])[:200]
    where = f" at {event['venue_name']}" if event.get("venue_name") else ""
    texts = {
        "nearby": (f"New near you: {title}", f"{_local(event)}{where}"),
        "cancelled": (f"Cancelled: {title}", "The organizer has cancelled this event."),
        "moved": (f"New place: {title}", f"It now takes place{where or ' elsewhere'} ({_local(event)})."),
        "rescheduled": (f"New time: {title}", f"It now starts {_local(event)}{where}."),
        "reminder_24h": (f"Tomorrow: {title}", f"Starts {_local(event)}{where}."),
        "reminder_1h": (f"Within the hour: {title}", f"Starts {_local(event)}{where}."),
        "starting_soon": (f"Starting soon near you: {title}", f"Starts {_local(event)}{where}."),
    }
    return texts[kind]

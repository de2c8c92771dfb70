"""Announcing an event's move between availability levels (``app.events.availability``).

Every statement that moves an event's places counter (a hold, a sale, a going RSVP, a release, a new
capacity) returns the counter as it left it; ``places_moved`` compares the level before and after.
Most moves change nothing visible. A move that changes the level — the last place sold, a place freed
at a sold-out event, the first of the last few places taken — is an ``EventChange`` like an edit:
logged in ``event_changes`` in the same transaction, as ``app.events.changes.log_change`` logs one
(the durable record the notification worker drains), and published on the unit of work running on
the connection (``app.db.publish_on``), so that after commit the tile cache drops the tiles showing
the event and live maps hear ``sold_out``, ``available`` or ``few_left``. The check costs nothing on
the hot path (the counter comes back with the update); the one extra statement runs only on a change
of level.
"""

from __future__ import annotations

from uuid import UUID

from app.db import Conn, publish_on
from app.events.availability import Availability, availability
from app.events.changes import Aspect, EventChange
from app.events.schemas import Point


def aspects_of_move(before: Availability | None, after: Availability | None) -> frozenset[Aspect]:
    """What a live map hears when an event goes from level ``before`` to ``after`` (empty: nothing)."""
    if before == after:
        return frozenset()
    if after == "sold_out":
        return frozenset({"sold_out"})
    if after == "few_left" and before is None:
        return frozenset({"few_left"})
    if after == "few_left":  # from sold out: a place came free, and few are left
        return frozenset({"available", "few_left"})
    return frozenset({"available"})


async def places_moved(
    conn: Conn,
    cell: int,
    event_id: UUID,
    before: tuple[int | None, int],
    after: tuple[int | None, int],
) -> EventChange | None:
    """The counter went from ``before`` to ``after`` (each ``(capacity, taken)``); announce a new level."""
    aspects = aspects_of_move(availability(*before), availability(*after))
    if not aspects:
        return None
    # Logged as ``log_change`` would log it, with the event's point read by the same statement: one
    # round trip (this runs while the places row is locked).
    cur = await conn.execute(
        "INSERT INTO event_changes (event_id, kind, aspects, before_geom, after_geom) "
        "SELECT e.id, 'updated', %s, e.geom, e.geom FROM events e WHERE e.cell = %s AND e.id = %s "
        "RETURNING ST_Y(after_geom) AS lat, ST_X(after_geom) AS lon",
        (sorted(aspects), cell, event_id),
    )
    row = await cur.fetchone()
    if row is None:
        return None
    point = Point(lat=row["lat"], lon=row["lon"])
    change = EventChange(event_id, "updated", point, point, aspects)
    publish_on(conn, change)
    return change


async def counter_moved(conn: Conn, cell: int, event_id: UUID, row: dict[str, int | None] | None, delta: int) -> None:
    """``row`` is the counter (``capacity``, ``taken``) an update by ``delta`` places returned (None: none)."""
    if row is None or row["capacity"] is None or delta == 0:
        return
    taken = int(row["taken"] or 0)
    await places_moved(conn, cell, event_id, (row["capacity"], taken - delta), (row["capacity"], taken))

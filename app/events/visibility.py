"""Who sees the exact point of an event shown only approximately (``location_approximate``).

Everyone else sees the area: the event is *stored* at the centre of the H3 resolution-7 cell that
holds its point (``app.events.service``), so lists, nearby, tiles, rollups, distances and sorts
never touch the exact point. Only the paths below read ``exact_geom``, and only after asking
``sees_exact_location``: the event's detail for a signed-in person, and the organizer's own list.

People with a ticket or an RSVP see it too (``holds_ticket_or_rsvp``: a lookup keyed by
``(cell, event_id)`` and the account, co-located with the event on Citus).
"""

from __future__ import annotations

from uuid import UUID

from app.db import Conn
from app.ticketing import repository as ticketing_places


async def sees_exact_location(conn: Conn, account_id: UUID | None, cell: int, event_id: UUID) -> bool:
    """Whether ``account_id`` may see the exact point of the event ``(cell, event_id)``.

    The event's organizer's members (any role: checkers meet attendees at the door) and, once
    RSVPs and tickets exist, the people holding one (``holds_ticket_or_rsvp``).
    """
    if account_id is None:
        return False
    if await is_organizer_member(conn, account_id, cell, event_id):
        return True
    return await holds_ticket_or_rsvp(conn, account_id, cell, event_id)


async def is_organizer_member(conn: Conn, account_id: UUID, cell: int, event_id: UUID) -> bool:
    # `SELECT 1`, not an empty target list: on Citus the members (a coordinator table) are joined to
    # the event's shard through an intermediate result, which a column-less subquery cannot describe.
    cur = await conn.execute(
        "SELECT EXISTS (SELECT 1 FROM events e JOIN organizer_members m ON m.organizer_id = e.organizer_id "
        "WHERE e.cell = %s AND e.id = %s AND m.account_id = %s) AS member",
        (cell, event_id, account_id),
    )
    row = await cur.fetchone()
    return bool(row and row["member"])


async def holds_ticket_or_rsvp(conn: Conn, account_id: UUID, cell: int, event_id: UUID) -> bool:
    """Whether the person holds a valid ticket or an RSVP (going or waitlisted): one keyed lookup."""
    return await ticketing_places.holds_ticket_or_rsvp(conn, account_id, cell, event_id)

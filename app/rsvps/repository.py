"""Every query of RSVPs and the waitlist. Statements carry the event's ``cell``.

RSVP rows are locked after the event's places row (the lock order of ``app.ticketing.repository``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from app.db import Conn

Row = dict[str, Any]


async def lock_rsvp(conn: Conn, cell: int, event_id: UUID, account_id: UUID) -> Row | None:
    cur = await conn.execute(
        "SELECT status, waitlist_seq, created_at FROM rsvps WHERE cell = %s AND event_id = %s AND account_id = %s "
        "FOR UPDATE",
        (cell, event_id, account_id),
    )
    return await cur.fetchone()


async def rsvp_of(conn: Conn, cell: int, event_id: UUID, account_id: UUID) -> Row | None:
    """The person's answer as it stands (no lock: a read for showing it)."""
    cur = await conn.execute(
        "SELECT status, waitlist_seq FROM rsvps WHERE cell = %s AND event_id = %s AND account_id = %s",
        (cell, event_id, account_id),
    )
    return await cur.fetchone()


async def upsert_rsvp(
    conn: Conn, cell: int, event_id: UUID, account_id: UUID, status: str, now: datetime, *, queue: bool = False
) -> Row:
    """Write the person's answer; ``queue`` puts them at the end of the waitlist (a new sequence number)."""
    seq = "nextval('rsvps_waitlist_seq')" if queue else "NULL"
    cur = await conn.execute(
        "INSERT INTO rsvps (cell, event_id, account_id, status, waitlist_seq, created_at, updated_at) "
        f"VALUES (%(cell)s, %(event)s, %(account)s, %(status)s, {seq}, %(now)s, %(now)s) "
        "ON CONFLICT (cell, event_id, account_id) DO UPDATE SET status = EXCLUDED.status, "
        "waitlist_seq = EXCLUDED.waitlist_seq, updated_at = EXCLUDED.updated_at RETURNING status, waitlist_seq",
        {"cell": cell, "event": event_id, "account": account_id, "status": status, "now": now},
    )
    row = await cur.fetchone()
    assert row is not None
    return row


async def delete_rsvp(conn: Conn, cell: int, event_id: UUID, account_id: UUID) -> None:
    await conn.execute(
        "DELETE FROM rsvps WHERE cell = %s AND event_id = %s AND account_id = %s", (cell, event_id, account_id)
    )


async def waitlist_position(conn: Conn, cell: int, event_id: UUID, seq: int) -> int:
    cur = await conn.execute(
        "SELECT count(*) AS ahead FROM rsvps WHERE cell = %s AND event_id = %s AND status = 'waitlisted' "
        "AND waitlist_seq < %s",
        (cell, event_id, seq),
    )
    row = await cur.fetchone()
    assert row is not None
    return int(row["ahead"]) + 1


async def next_waitlisted(conn: Conn, cell: int, event_id: UUID, count: int) -> list[Row]:
    """The first ``count`` people of the waitlist (first come, first served), locked."""
    cur = await conn.execute(
        "SELECT r.account_id, a.email FROM rsvps r JOIN accounts a ON a.id = r.account_id "
        "WHERE r.cell = %s AND r.event_id = %s AND r.status = 'waitlisted' "
        "ORDER BY r.waitlist_seq LIMIT %s FOR UPDATE OF r",
        (cell, event_id, count),
    )
    return await cur.fetchall()


async def promote(conn: Conn, cell: int, event_id: UUID, account_id: UUID, now: datetime) -> None:
    await conn.execute(
        "UPDATE rsvps SET status = 'going', waitlist_seq = NULL, updated_at = %s "
        "WHERE cell = %s AND event_id = %s AND account_id = %s",
        (now, cell, event_id, account_id),
    )


async def attendees(
    conn: Conn,
    cell: int,
    event_id: UUID,
    *,
    status: str | None,
    search: str | None,
    after: tuple[datetime, UUID] | None,
    limit: int,
) -> list[Row]:
    """Everyone of the event, oldest first, paged by (created_at, entry_id): one entry per RSVP, and
    one per ticket holder and tier (status ``ticket_holder``: valid tickets of paid or free orders).

    ``entry_id`` is the account for an RSVP and a digest of (account, tier) for ticket holders;
    ``tickets`` counts the entry's valid tickets and ``checked_in`` those admitted at a door.
    """
    where = ["true"]
    params: Row = {"cell": cell, "event": event_id, "limit": limit}
    if status is not None:
        where.append("e.status = %(status)s")
        params["status"] = status
    if search:
        where.append("(a.email ILIKE %(pattern)s OR coalesce(a.display_name, '') ILIKE %(pattern)s)")
        params["pattern"] = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    if after is not None:
        where.append("(e.created_at, e.entry_id) > (%(after_at)s, %(after_id)s)")
        params.update(after_at=after[0], after_id=after[1])
    cur = await conn.execute(
        "WITH entries AS ("
        " SELECT r.account_id, r.account_id AS entry_id, r.status, r.created_at, NULL::text AS tier_name,"
        " count(k.id) AS tickets, count(c.ticket_id) AS checked_in"
        " FROM rsvps r LEFT JOIN tickets k ON k.cell = r.cell AND k.event_id = r.event_id"
        " AND k.account_id = r.account_id AND k.order_id IS NULL AND k.status = 'valid'"
        " LEFT JOIN checkins c ON c.cell = k.cell AND c.ticket_id = k.id"
        " WHERE r.cell = %(cell)s AND r.event_id = %(event)s GROUP BY r.account_id, r.status, r.created_at"
        " UNION ALL"
        " SELECT k.account_id, md5(k.account_id::text || k.tier_id::text)::uuid, 'ticket_holder', min(k.issued_at),"
        " t.name, count(*), count(c.ticket_id)"
        " FROM tickets k JOIN ticket_tiers t ON t.cell = k.cell AND t.id = k.tier_id"
        " LEFT JOIN checkins c ON c.cell = k.cell AND c.ticket_id = k.id"
        " WHERE k.cell = %(cell)s AND k.event_id = %(event)s AND k.order_id IS NOT NULL AND k.status = 'valid'"
        " AND k.account_id IS NOT NULL GROUP BY k.account_id, k.tier_id, t.name) "
        "SELECT e.account_id, e.entry_id, e.status, e.created_at, e.tier_name, e.tickets, e.checked_in, a.email, "
        "a.display_name FROM entries e JOIN accounts a ON a.id = e.account_id "
        f"WHERE {' AND '.join(where)} ORDER BY e.created_at, e.entry_id LIMIT %(limit)s",
        params,
    )
    return await cur.fetchall()


async def counts(conn: Conn, cell: int, event_id: UUID) -> dict[str, int]:
    cur = await conn.execute(
        "SELECT status, count(*) AS n FROM rsvps WHERE cell = %s AND event_id = %s GROUP BY status", (cell, event_id)
    )
    return {row["status"]: int(row["n"]) for row in await cur.fetchall()}

"""Every query of ticketing: places, tiers, orders, tickets, check-ins.

Statements carry the event's ``cell`` whenever they know it. Lookups by an id alone (a tier, an
order, a ticket named in a URL or a QR code) go through the ``*_id_idx`` indexes: one index probe on
one node, a fan-out on Citus (ADR "Capacity accounting and locking" names the locator it would use).

Lock order, everywhere (a fixed order cannot deadlock): the event row ``FOR KEY SHARE`` (what every
insert's foreign key takes anyway, taken first so a settle never waits for it while holding
counters), then order rows, then tier rows by id, then the event's places row, then RSVP rows.

The statements that move the places counter (``take``, ``take_places``, ``free_places``) hand the
counter they leave to ``app.ticketing.availability``, which announces an event that became sold out,
available again or short of places, whoever called them (an order, an RSVP, a refund, the sweeper).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import AsyncCursor

from app.db import Conn, lock_timeout_sql
from app.kit.cells import ids_by_cell
from app.ticketing.availability import counter_moved

Row = dict[str, Any]


async def set_lock_timeout(conn: Conn, timeout_ms: int, *, commit_async: bool = False) -> None:
    """Bound every lock wait of this transaction (a timeout is a 503 with Retry-After, not a hang).

    ``commit_async``: the commit does not wait for its WAL flush, so the rows it locked are released
    without a disk flush in between; the caller makes the outcome durable (``wait_durable``) before
    acting on it or answering.

    On Citus the lock timeout reaches the workers, where the rows of shards are locked (``SET LOCAL``
    is propagated: ``app.distribution``); the asynchronous commit does not (``set_config`` is not):
    a worker's commit stays synchronous, so ``wait_durable``'s flush on the coordinator is enough.
    """
    statement = lock_timeout_sql(timeout_ms)
    if commit_async:
        statement += f"; {_COMMIT_ASYNC}"
    await conn.execute(statement)


_COMMIT_ASYNC = "SELECT set_config('synchronous_commit', 'off', true)"


async def wait_durable(conn: Conn) -> None:
    """Flush the WAL up to now: a transaction with an id commits synchronously (concurrent callers
    share one flush). Everything committed before, on any connection, is durable when it returns."""
    await conn.execute("SELECT txid_current()")


# --- events -------------------------------------------------------------------------------------


async def cell_of_event(conn: Conn, event_id: UUID) -> int | None:
    """The event's cell: from ``event_locator`` (kept by the events write path; on Citus a reference
    table, one row read on one node), else from ``events`` by id alone.

    The second way opens every partition of ``events`` (on Citus, every shard); it serves only an
    event written without its locator row (plain SQL on a single node).
    """
    cur = await conn.execute("SELECT cell FROM event_locator WHERE id = %s", (event_id,))
    row = await cur.fetchone()
    if row is None:
        cur = await conn.execute("SELECT cell FROM events WHERE id = %s", (event_id,))
        row = await cur.fetchone()
    return None if row is None else int(row["cell"])


async def event_of(conn: Conn, event_id: UUID, *, key_share: bool = False) -> Row | None:
    """The event's facts ticketing needs; with ``key_share`` its row is held (FOR KEY SHARE) till the end."""
    cell = await cell_of_event(conn, event_id)
    if cell is None:
        return None
    lock = " FOR KEY SHARE" if key_share else ""
    cur = await conn.execute(f"{_EVENT} WHERE cell = %s AND id = %s{lock}", (cell, event_id))
    return await cur.fetchone()


# Event id -> cell, as this process last found it through the locator (bounded; oldest forgotten
# first). A stale entry (the event moved to another cell) finds no row and is looked up again.
_CELLS: dict[UUID, int] = {}
_CELLS_MAX = 10_000
_EVENT = "SELECT cell, id, organizer_id, title, status, capacity, starts_at, ends_at, is_free, timezone FROM events"


async def hold_facts(
    conn: Conn, event_id: UUID, tier_ids: Sequence[UUID], timeout_ms: int
) -> tuple[Row | None, list[Row]]:
    """What a hold reads before it writes, in one round trip (pipelined) once the event's cell is known:
    this transaction's lock timeout and asynchronous commit (``set_lock_timeout``), the event and the
    named tiers (by id order). No such event: ``(None, [])``."""
    cell = _CELLS.get(event_id)
    if cell is None:
        cell = await cell_of_event(conn, event_id)
        if cell is None:
            return None, []
        if len(_CELLS) >= _CELLS_MAX:
            del _CELLS[next(iter(_CELLS))]
        _CELLS[event_id] = cell
    async with conn.pipeline():
        await conn.execute(lock_timeout_sql(timeout_ms))
        await conn.execute(_COMMIT_ASYNC)
        event_cur = await conn.execute(f"{_EVENT} WHERE cell = %s AND id = %s", (cell, event_id))
        tiers_cur = await conn.execute(
            f"SELECT {_TIER} FROM ticket_tiers t WHERE t.cell = %s AND t.id = ANY(%s) ORDER BY t.id",
            (cell, list(tier_ids)),
        )
    event = await event_cur.fetchone()
    if event is None and _CELLS.pop(event_id, None) is not None:
        return await hold_facts(conn, event_id, tier_ids, timeout_ms)  # moved since: ask the locator again
    return event, await tiers_cur.fetchall()


async def hold_event_key(conn: Conn, cell: int, event_id: UUID) -> bool:
    cur = await conn.execute("SELECT 1 FROM events WHERE cell = %s AND id = %s FOR KEY SHARE", (cell, event_id))
    return await cur.fetchone() is not None


# --- places -------------------------------------------------------------------------------------


async def ensure_places(conn: Conn, cell: int, event_id: UUID) -> None:
    """Create the event's places row from ``events.capacity`` if it is not there yet."""
    await conn.execute(
        "INSERT INTO event_places (cell, event_id, capacity) SELECT cell, id, capacity FROM events "
        "WHERE cell = %s AND id = %s ON CONFLICT DO NOTHING",
        (cell, event_id),
    )


async def take(conn: Conn, cell: int, event_id: UUID, lines: Sequence[Row], *, sell: bool) -> Row:
    """Hold (or sell) each line's tier places and the event's, in one statement (``ticketing_take``):
    lines sorted by tier id (the lock order). The event's counter after it (``capacity``, ``taken``).
    No room: ``CheckViolation`` naming the constraint."""
    cur = await conn.execute(_TAKE, _take_params(cell, event_id, lines, sell))
    return await _taken(conn, cur, cell, event_id, lines)


async def hold_and_commit(conn: Conn, order: Row, lines: Sequence[Row]) -> Row:
    """``insert_order``, ``take`` (held, not sold) and the commit of the transaction, in one round trip.

    The statements are pipelined: the server runs the take and the COMMIT behind it without waiting
    for this process, so the counters' row locks are held for the server's work only — not for a
    round trip and a turn of this process's event loop, which under load is what every other buyer
    of the tier waits for (measured: 14 to 16 of 20 connections waiting on the tier's row lock while
    its holder sat idle in transaction). No room: the take raises, the server skips the COMMIT
    (an aborted pipeline runs nothing until its sync), and the caller's transaction rolls back as
    usual. Success: the hold is committed (asynchronously, see ``set_lock_timeout``); a new
    transaction is open for what follows (an availability change's log), which the caller's unit of
    work commits as it would have committed the hold.
    """
    async with conn.pipeline():
        await _insert_order(conn, order, lines)
        cur = await conn.execute(_TAKE, _take_params(order["cell"], order["event_id"], lines, False))
        await conn.execute("COMMIT")
        await conn.execute("BEGIN")
    return await _taken(conn, cur, order["cell"], order["event_id"], lines)


_TAKE = "SELECT capacity, taken FROM ticketing_take(%s, %s, %s::uuid[], %s::integer[], %s)"


def _take_params(cell: int, event_id: UUID, lines: Sequence[Row], sell: bool) -> tuple[Any, ...]:
    ordered = sorted(lines, key=lambda line: line["tier_id"])  # the lock order
    return cell, event_id, [line["tier_id"] for line in ordered], [line["quantity"] for line in ordered], sell


async def _taken(conn: Conn, cur: AsyncCursor[Row], cell: int, event_id: UUID, lines: Sequence[Row]) -> Row:
    row = await cur.fetchone()
    assert row is not None  # the function returns its row or raises
    await counter_moved(conn, cell, event_id, row, sum(line["quantity"] for line in lines))
    return row


async def take_places(conn: Conn, cell: int, event_id: UUID, count: int) -> Row | None:
    """Take ``count`` places if they fit (re-checked under the row lock this takes): the counter after
    it (``capacity``, ``taken``), or None when they do not fit."""
    cur = await conn.execute(
        "UPDATE event_places SET taken = taken + %(n)s WHERE cell = %(cell)s AND event_id = %(event)s "
        "AND (capacity IS NULL OR taken + %(n)s <= capacity) RETURNING capacity, taken",
        {"n": count, "cell": cell, "event": event_id},
    )
    row = await cur.fetchone()
    await counter_moved(conn, cell, event_id, row, count)
    return row


async def free_places(conn: Conn, cell: int, event_id: UUID, count: int) -> Row | None:
    """Give back ``count`` places: the counter after it (``capacity``, ``taken``)."""
    cur = await conn.execute(
        "UPDATE event_places SET taken = taken - %s WHERE cell = %s AND event_id = %s RETURNING capacity, taken",
        (count, cell, event_id),
    )
    row = await cur.fetchone()
    await counter_moved(conn, cell, event_id, row, -count)
    return row


async def lock_places(conn: Conn, cell: int, event_id: UUID) -> Row | None:
    cur = await conn.execute(
        "SELECT capacity, taken FROM event_places WHERE cell = %s AND event_id = %s FOR UPDATE", (cell, event_id)
    )
    return await cur.fetchone()


async def set_capacity(conn: Conn, cell: int, event_id: UUID, capacity: int | None) -> Row | None:
    """Write the event's new capacity into its places row (locked); the row, or None when it has none."""
    cur = await conn.execute(
        "UPDATE event_places SET capacity = %s WHERE cell = %s AND event_id = %s "
        "AND (%s::integer IS NULL OR taken <= %s::integer) RETURNING capacity, taken",
        (capacity, cell, event_id, capacity, capacity),
    )
    return await cur.fetchone()


async def places_of(conn: Conn, cell: int, event_id: UUID) -> Row | None:
    cur = await conn.execute(
        "SELECT e.capacity AS event_capacity, p.capacity, p.taken FROM events e "
        "LEFT JOIN event_places p ON p.cell = e.cell AND p.event_id = e.id WHERE e.cell = %s AND e.id = %s",
        (cell, event_id),
    )
    return await cur.fetchone()


# --- tiers --------------------------------------------------------------------------------------

_TIER = (
    "t.cell, t.event_id, t.id, t.name, t.price, t.currency, t.quota, t.sold, t.held, t.sales_start, "
    "t.sales_end, t.max_per_order, t.created_at, t.updated_at"
)


async def insert_tier(conn: Conn, values: Row) -> Row:
    columns = list(values)
    cur = await conn.execute(
        f"INSERT INTO ticket_tiers AS t ({', '.join(columns)}) VALUES ({', '.join(f'%({c})s' for c in columns)}) "
        f"RETURNING {_TIER}",
        values,
    )
    row = await cur.fetchone()
    assert row is not None
    return row


async def tiers_of_event(conn: Conn, cell: int, event_id: UUID, limit: int) -> list[Row]:
    cur = await conn.execute(
        f"SELECT {_TIER} FROM ticket_tiers t WHERE t.cell = %s AND t.event_id = %s ORDER BY t.price, t.id LIMIT %s",
        (cell, event_id, limit),
    )
    return await cur.fetchall()


async def tiers_by_ids(conn: Conn, cell: int, tier_ids: Sequence[UUID]) -> list[Row]:
    cur = await conn.execute(
        f"SELECT {_TIER} FROM ticket_tiers t WHERE t.cell = %s AND t.id = ANY(%s) ORDER BY t.id",
        (cell, list(tier_ids)),
    )
    return await cur.fetchall()


async def tier_by_id(conn: Conn, tier_id: UUID) -> Row | None:
    """The tier named by its id alone (a URL): one index probe on one node, every shard on Citus."""
    cur = await conn.execute(f"SELECT {_TIER} FROM ticket_tiers t WHERE t.id = %s", (tier_id,))
    return await cur.fetchone()


async def lock_tier(conn: Conn, cell: int, tier_id: UUID) -> Row | None:
    """The tier's row, locked FOR UPDATE in its cell (on Citus a lock must name the shard key)."""
    cur = await conn.execute(
        f"SELECT {_TIER} FROM ticket_tiers t WHERE t.cell = %s AND t.id = %s FOR UPDATE", (cell, tier_id)
    )
    return await cur.fetchone()


async def update_tier(conn: Conn, cell: int, tier_id: UUID, values: Row, now: datetime) -> Row:
    assignments = ", ".join(f"{c} = %({c})s" for c in values)
    cur = await conn.execute(
        f"UPDATE ticket_tiers AS t SET {assignments}, updated_at = %(now)s WHERE t.cell = %(cell)s AND t.id = %(id)s "
        f"RETURNING {_TIER}",
        {**values, "now": now, "cell": cell, "id": tier_id},
    )
    row = await cur.fetchone()
    assert row is not None
    return row


async def sell_held(conn: Conn, cell: int, tier_id: UUID, quantity: int) -> None:
    """Turn held places of the tier into sold ones (a paid hold)."""
    await conn.execute(
        "UPDATE ticket_tiers SET held = held - %(q)s, sold = sold + %(q)s WHERE cell = %(cell)s AND id = %(id)s",
        {"q": quantity, "cell": cell, "id": tier_id},
    )


async def release_tier(conn: Conn, cell: int, tier_id: UUID, quantity: int, *, sold: bool) -> None:
    column = "sold" if sold else "held"
    await conn.execute(
        f"UPDATE ticket_tiers SET {column} = {column} - %s WHERE cell = %s AND id = %s", (quantity, cell, tier_id)
    )


# --- orders -------------------------------------------------------------------------------------

_ORDER = (
    "o.cell, o.event_id, o.id, o.account_id, o.status, o.flagged, o.flag_reason, o.amount, o.currency, "
    "o.application_fee, o.payment_provider, o.payment_intent_id, o.client_secret, o.refund_id, o.expires_at, "
    "o.created_at, o.updated_at, o.paid_at"
)


async def insert_order(conn: Conn, values: Row, items: Sequence[Row]) -> None:
    """Insert the order and its items in one statement (no lock on anything scarce: done before the
    counters; the order's foreign key holds the event row FOR KEY SHARE, first in the lock order)."""
    await _insert_order(conn, values, items)


async def _insert_order(conn: Conn, values: Row, items: Sequence[Row]) -> None:
    columns = list(values)
    await conn.execute(
        f"WITH o AS (INSERT INTO orders ({', '.join(columns)}) VALUES ({', '.join(f'%({c})s' for c in columns)})) "
        "INSERT INTO order_items (cell, order_id, tier_id, quantity, unit_price) "
        "SELECT %(cell)s, %(id)s, i.tier_id, i.quantity, i.unit_price "
        "FROM unnest(%(tier_ids)s::uuid[], %(quantities)s::integer[], %(prices)s::integer[]) "
        "AS i (tier_id, quantity, unit_price)",
        {
            **values,
            "tier_ids": [i["tier_id"] for i in items],
            "quantities": [i["quantity"] for i in items],
            "prices": [i["unit_price"] for i in items],
        },
    )


async def order_by_id(conn: Conn, order_id: UUID) -> Row | None:
    """The order named by its id alone (a URL, a payment's metadata): one index probe on one node,
    every shard on Citus. Its ``cell`` then names it for every later statement."""
    cur = await conn.execute(f"SELECT {_ORDER} FROM orders o WHERE o.id = %s", (order_id,))
    return await cur.fetchone()


async def order_in_cell(conn: Conn, cell: int, order_id: UUID, *, lock: bool = False) -> Row | None:
    """The order in its cell (one shard on Citus), with ``lock`` held FOR UPDATE till the end."""
    cur = await conn.execute(
        f"SELECT {_ORDER} FROM orders o WHERE o.cell = %s AND o.id = %s{' FOR UPDATE' if lock else ''}",
        (cell, order_id),
    )
    return await cur.fetchone()


async def items_of(conn: Conn, cell: int, order_id: UUID) -> list[Row]:
    cur = await conn.execute(
        "SELECT i.tier_id, i.quantity, i.unit_price, t.name FROM order_items i "
        "JOIN ticket_tiers t ON t.cell = i.cell AND t.id = i.tier_id "
        "WHERE i.cell = %s AND i.order_id = %s ORDER BY i.tier_id",
        (cell, order_id),
    )
    return await cur.fetchall()


async def set_order(conn: Conn, cell: int, order_id: UUID, values: Row, now: datetime) -> Row:
    assignments = ", ".join(f"{c} = %({c})s" for c in values)
    cur = await conn.execute(
        f"UPDATE orders AS o SET {assignments}, updated_at = %(now)s WHERE o.cell = %(cell)s AND o.id = %(id)s "
        f"RETURNING {_ORDER}",
        {**values, "now": now, "cell": cell, "id": order_id},
    )
    row = await cur.fetchone()
    assert row is not None
    return row


async def lapsed_holds(conn: Conn, now: datetime, limit: int) -> list[Row]:
    """Holds that ended, claimed (locked, SKIP LOCKED) for this transaction, oldest first.

    Found first without a lock (on Citus: every shard), then locked cell by cell and re-checked
    under the lock (a lock must name the shard key there); a hold another worker holds, or that was
    settled meanwhile, is skipped.
    """
    cur = await conn.execute(
        "SELECT o.cell, o.id FROM orders o WHERE o.status = 'awaiting_payment' AND o.expires_at <= %s "
        "ORDER BY o.expires_at LIMIT %s",
        (now, limit),
    )
    claimed: list[Row] = []
    for cell, ids in ids_by_cell(await cur.fetchall(), "id"):
        cur = await conn.execute(
            f"SELECT {_ORDER} FROM orders o WHERE o.cell = %s AND o.id = ANY(%s) AND o.status = 'awaiting_payment' "
            "AND o.expires_at <= %s ORDER BY o.id FOR UPDATE SKIP LOCKED",
            (cell, ids, now),
        )
        claimed += await cur.fetchall()
    return sorted(claimed, key=lambda order: order["expires_at"])


async def paid_orders_of_event(conn: Conn, cell: int, event_id: UUID) -> list[Row]:
    cur = await conn.execute(
        f"SELECT {_ORDER} FROM orders o WHERE o.cell = %s AND o.event_id = %s AND o.status = 'paid' "
        "AND o.amount > 0 ORDER BY o.created_at, o.id",
        (cell, event_id),
    )
    return await cur.fetchall()


async def orders_of_event(conn: Conn, cell: int, event_id: UUID, limit: int) -> list[Row]:
    cur = await conn.execute(
        f"SELECT {_ORDER} FROM orders o WHERE o.cell = %s AND o.event_id = %s ORDER BY o.created_at, o.id LIMIT %s",
        (cell, event_id, limit),
    )
    return await cur.fetchall()


# --- idempotency --------------------------------------------------------------------------------


async def order_request(conn: Conn, account_id: UUID, key: str) -> Row | None:
    cur = await conn.execute(
        "SELECT request_hash, cell, order_id FROM order_requests WHERE account_id = %s AND idempotency_key = %s",
        (account_id, key),
    )
    return await cur.fetchone()


async def claim_order_request(
    conn: Conn, account_id: UUID, key: str, request_hash: bytes, cell: int, order_id: UUID, now: datetime
) -> bool:
    """Record the key for this order; False when another request holds it already (then read it)."""
    cur = await conn.execute(
        "INSERT INTO order_requests (account_id, idempotency_key, request_hash, cell, order_id, created_at) "
        "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING order_id",
        (account_id, key, request_hash, cell, order_id, now),
    )
    return await cur.fetchone() is not None


# --- tickets ------------------------------------------------------------------------------------

_TICKET = "k.cell, k.event_id, k.id, k.account_id, k.order_id, k.tier_id, k.status, k.issued_at"


async def issue_tickets(
    conn: Conn,
    cell: int,
    event_id: UUID,
    account_id: UUID | None,
    order_id: UUID | None,
    tier_id: UUID | None,
    count: int,
    now: datetime,
) -> None:
    await conn.execute(
        "INSERT INTO tickets (cell, event_id, account_id, order_id, tier_id, issued_at) "
        "SELECT %s, %s, %s, %s, %s, %s FROM generate_series(1, %s)",
        (cell, event_id, account_id, order_id, tier_id, now, count),
    )


async def void_tickets_of_order(conn: Conn, cell: int, order_id: UUID) -> None:
    await conn.execute(
        "UPDATE tickets SET status = 'void' WHERE cell = %s AND order_id = %s AND status = 'valid'", (cell, order_id)
    )


async def void_rsvp_ticket(conn: Conn, cell: int, event_id: UUID, account_id: UUID) -> None:
    await conn.execute(
        "UPDATE tickets SET status = 'void' WHERE cell = %s AND event_id = %s AND account_id = %s "
        "AND order_id IS NULL AND status = 'valid'",
        (cell, event_id, account_id),
    )


async def tickets_of_order(conn: Conn, cell: int, order_id: UUID) -> list[Row]:
    cur = await conn.execute(
        f"SELECT {_TICKET} FROM tickets k WHERE k.cell = %s AND k.order_id = %s ORDER BY k.id", (cell, order_id)
    )
    return await cur.fetchall()


async def tickets_of_account(
    conn: Conn, account_id: UUID, after: tuple[datetime, UUID] | None, limit: int
) -> list[Row]:
    where = "k.account_id = %s AND k.status = 'valid'"
    params: list[object] = [account_id]
    if after is not None:
        where += " AND (k.issued_at, k.id) < (%s, %s)"
        params += [after[0], after[1]]
    cur = await conn.execute(
        f"SELECT {_TICKET}, e.title, e.starts_at, e.ends_at, e.timezone, t.name AS tier_name, "
        "c.checked_in_at, c.door FROM tickets k "
        "JOIN events e ON e.cell = k.cell AND e.id = k.event_id "
        "LEFT JOIN ticket_tiers t ON t.cell = k.cell AND t.id = k.tier_id "
        "LEFT JOIN checkins c ON c.cell = k.cell AND c.ticket_id = k.id "
        f"WHERE {where} ORDER BY k.issued_at DESC, k.id DESC LIMIT %s",
        [*params, limit],
    )
    return await cur.fetchall()


async def ticket_by_id(conn: Conn, ticket_id: UUID) -> Row | None:
    cur = await conn.execute(f"SELECT {_TICKET} FROM tickets k WHERE k.id = %s", (ticket_id,))
    return await cur.fetchone()


async def valid_tickets_of_event(conn: Conn, cell: int, event_id: UUID, after: UUID | None, limit: int) -> list[Row]:
    cur = await conn.execute(
        "SELECT k.id, c.checked_in_at, c.door FROM tickets k "
        "LEFT JOIN checkins c ON c.cell = k.cell AND c.ticket_id = k.id "
        "WHERE k.cell = %s AND k.event_id = %s AND k.status = 'valid' AND (%s::uuid IS NULL OR k.id > %s::uuid) "
        "ORDER BY k.id LIMIT %s",
        (cell, event_id, after, after, limit),
    )
    return await cur.fetchall()


async def holds_ticket_or_rsvp(conn: Conn, account_id: UUID, cell: int, event_id: UUID) -> bool:
    cur = await conn.execute(
        "SELECT EXISTS (SELECT 1 FROM tickets WHERE cell = %(cell)s AND event_id = %(event)s "
        "AND account_id = %(account)s AND status = 'valid') "
        "OR EXISTS (SELECT 1 FROM rsvps WHERE cell = %(cell)s AND event_id = %(event)s "
        "AND account_id = %(account)s AND status IN ('going', 'waitlisted')) AS holds",
        {"cell": cell, "event": event_id, "account": account_id},
    )
    row = await cur.fetchone()
    return bool(row and row["holds"])


# --- check-ins ----------------------------------------------------------------------------------


async def insert_checkin(conn: Conn, cell: int, event_id: UUID, ticket_id: UUID, door: str, now: datetime) -> bool:
    """Admit the ticket; False when it was admitted already (the primary key decides between doors)."""
    cur = await conn.execute(
        "INSERT INTO checkins (cell, event_id, ticket_id, door, checked_in_at) VALUES (%s, %s, %s, %s, %s) "
        "ON CONFLICT DO NOTHING RETURNING ticket_id",
        (cell, event_id, ticket_id, door, now),
    )
    return await cur.fetchone() is not None


async def checkin_of(conn: Conn, cell: int, ticket_id: UUID) -> Row | None:
    cur = await conn.execute(
        "SELECT door, checked_in_at FROM checkins WHERE cell = %s AND ticket_id = %s", (cell, ticket_id)
    )
    return await cur.fetchone()


# --- sales --------------------------------------------------------------------------------------


async def money_by_tier(conn: Conn, cell: int, event_id: UUID) -> list[Row]:
    """Per tier: takings of paid orders and what refunded (or refunding) orders gave back."""
    cur = await conn.execute(
        "SELECT i.tier_id, "
        "coalesce(sum(i.quantity * i.unit_price) FILTER (WHERE o.status = 'paid'), 0) AS revenue, "
        "coalesce(sum(i.quantity) FILTER (WHERE o.status <> 'paid'), 0) AS refunded, "
        "coalesce(sum(i.quantity * i.unit_price) FILTER (WHERE o.status <> 'paid'), 0) AS refunded_amount "
        "FROM orders o JOIN order_items i ON i.cell = o.cell AND i.order_id = o.id "
        "WHERE o.cell = %s AND o.event_id = %s AND o.status IN ('paid', 'refund_pending', 'refunded') "
        "GROUP BY i.tier_id",
        (cell, event_id),
    )
    return await cur.fetchall()


async def tickets_by_bucket(conn: Conn, cell: int, event_id: UUID, unit: str, zone: str, limit: int) -> list[Row]:
    """Valid tickets per hour or day of the event's wall clock (``local_start`` is naive local time),
    the newest ``limit`` buckets that have any."""
    cur = await conn.execute(
        "SELECT date_trunc(%(unit)s, k.issued_at AT TIME ZONE %(zone)s) AS local_start, count(*) AS tickets "
        "FROM tickets k WHERE k.cell = %(cell)s AND k.event_id = %(event)s AND k.status = 'valid' "
        "GROUP BY 1 ORDER BY 1 DESC LIMIT %(limit)s",
        {"unit": unit, "zone": zone, "cell": cell, "event": event_id, "limit": limit},
    )
    return await cur.fetchall()


async def revenue_by_bucket(conn: Conn, cell: int, event_id: UUID, unit: str, zone: str, limit: int) -> list[Row]:
    """Takings of paid orders per hour or day of the event's wall clock and currency, newest first."""
    cur = await conn.execute(
        "SELECT date_trunc(%(unit)s, o.paid_at AT TIME ZONE %(zone)s) AS local_start, o.currency, "
        "sum(o.amount) AS amount FROM orders o "
        "WHERE o.cell = %(cell)s AND o.event_id = %(event)s AND o.status = 'paid' AND o.amount > 0 "
        "GROUP BY 1, 2 ORDER BY 1 DESC, 2 LIMIT %(limit)s",
        {"unit": unit, "zone": zone, "cell": cell, "event": event_id, "limit": limit},
    )
    return await cur.fetchall()

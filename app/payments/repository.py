"""Every query of payments: Stripe events seen, refunds owed, connected accounts, orders to reconcile.

Orders are ticketing's table (``app.ticketing.repository`` owns its writes); the two reads here are
the ones only payments makes (which orders to check with Stripe, which paid orders an event owes).
Statements carry the order's ``cell`` when they know it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from app.db import Conn
from app.kit.cells import ids_by_cell

Row = dict[str, Any]

_REFUND = (
    "r.cell, r.order_id, r.event_id, r.intent_id, r.amount, r.currency, r.reason, r.status, r.refund_id, "
    "r.attempts, r.claimed_until, r.last_error, r.requested_at, r.executed_at"
)


# --- webhook events -----------------------------------------------------------------------------


async def record_event(
    conn: Conn, event_id: str, event_type: str, intent_id: str | None, order_id: UUID | None, outcome: str,
    now: datetime,
) -> bool:  # fmt: skip
    """Record a Stripe event as handled; False when it was already (the unique key waits for a
    concurrent insert of the same id to commit or roll back, so only one delivery ever acts)."""
    cur = await conn.execute(
        "INSERT INTO stripe_events (id, type, intent_id, order_id, outcome, received_at) "
        "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO NOTHING RETURNING id",
        (event_id, event_type[:100], intent_id, order_id, outcome, now),
    )
    return await cur.fetchone() is not None


async def event_seen(conn: Conn, event_id: str) -> bool:
    cur = await conn.execute("SELECT 1 FROM stripe_events WHERE id = %s", (event_id,))
    return await cur.fetchone() is not None


async def set_event_outcome(conn: Conn, event_id: str, outcome: str) -> None:
    await conn.execute("UPDATE stripe_events SET outcome = %s WHERE id = %s", (outcome[:100], event_id))


# --- refunds ------------------------------------------------------------------------------------


async def request_refund(conn: Conn, order: Row, reason: str, now: datetime) -> bool:
    """Owe the order's refund (once: False when it was already owed)."""
    cur = await conn.execute(
        "INSERT INTO payment_refunds (cell, order_id, event_id, intent_id, amount, currency, reason, requested_at) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (cell, order_id) DO NOTHING RETURNING order_id",
        (order["cell"], order["id"], order["event_id"], order["payment_intent_id"], order["amount"],
         order["currency"], reason, now),
    )  # fmt: skip
    return await cur.fetchone() is not None


async def owe_pending_orders(conn: Conn, now: datetime, limit: int) -> int:
    """Orders some other path made ``refund_pending`` without owing the refund here: owe it now."""
    cur = await conn.execute(
        "INSERT INTO payment_refunds (cell, order_id, event_id, intent_id, amount, currency, reason, requested_at) "
        "SELECT o.cell, o.id, o.event_id, o.payment_intent_id, o.amount, o.currency, 'other', %s FROM orders o "
        "WHERE o.status = 'refund_pending' AND o.amount > 0 AND o.payment_intent_id IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM payment_refunds r WHERE r.cell = o.cell AND r.order_id = o.id) "
        "LIMIT %s ON CONFLICT (cell, order_id) DO NOTHING",
        (now, limit),
    )
    return cur.rowcount


async def claim_refunds(
    conn: Conn, now: datetime, lease: timedelta, limit: int, order_id: UUID | None = None
) -> list[Row]:
    """Pending refunds nobody holds, leased to this caller until ``now + lease`` (SKIP LOCKED), oldest first.

    Found first without a lock (on Citus: every shard), then claimed cell by cell, re-checked under
    the row locks (a lock must name the shard key there); a refund another worker holds, or
    claimed meanwhile, is skipped.
    """
    only = " AND r.order_id = %(order_id)s" if order_id is not None else ""
    params: Row = {"until": now + lease, "now": now, "limit": limit, "order_id": order_id}
    cur = await conn.execute(
        f"SELECT r.cell, r.order_id FROM payment_refunds r WHERE {_CLAIMABLE}{only} "
        "ORDER BY r.requested_at LIMIT %(limit)s",
        params,
    )
    claimed: list[Row] = []
    for cell, ids in ids_by_cell(await cur.fetchall(), "order_id"):
        cur = await conn.execute(
            f"""
            UPDATE payment_refunds AS r SET claimed_until = %(until)s, attempts = r.attempts + 1
            WHERE r.cell = %(cell)s AND r.order_id IN (
                SELECT r.order_id FROM payment_refunds r
                WHERE r.cell = %(cell)s AND r.order_id = ANY(%(ids)s) AND {_CLAIMABLE}
                ORDER BY r.order_id FOR UPDATE SKIP LOCKED
            )
            RETURNING {_REFUND}
            """,
            {**params, "cell": cell, "ids": ids},
        )
        claimed += await cur.fetchall()
    return sorted(claimed, key=lambda refund: refund["requested_at"])


_CLAIMABLE = "r.status = 'pending' AND (r.claimed_until IS NULL OR r.claimed_until <= %(now)s)"


async def finish_refund(
    conn: Conn, cell: int, order_id: UUID, status: str, refund_id: str | None, error: str | None, now: datetime
) -> bool:
    """Record what the provider answered; False when the row was no longer pending (someone else did)."""
    cur = await conn.execute(
        "UPDATE payment_refunds SET status = %s, refund_id = COALESCE(%s, refund_id), last_error = %s, "
        "executed_at = %s, claimed_until = NULL WHERE cell = %s AND order_id = %s AND status = 'pending' "
        "RETURNING order_id",
        (status, refund_id, None if error is None else error[:500], now, cell, order_id),
    )
    return await cur.fetchone() is not None


async def release_refund(conn: Conn, cell: int, order_id: UUID, error: str) -> None:
    """The provider could not be reached: the lease ends now and the next run tries again."""
    await conn.execute(
        "UPDATE payment_refunds SET claimed_until = NULL, last_error = %s "
        "WHERE cell = %s AND order_id = %s AND status = 'pending'",
        (error[:500], cell, order_id),
    )


async def refund_of(conn: Conn, cell: int, order_id: UUID) -> Row | None:
    cur = await conn.execute(
        f"SELECT {_REFUND} FROM payment_refunds r WHERE r.cell = %s AND r.order_id = %s", (cell, order_id)
    )
    return await cur.fetchone()


# --- orders (read and locked here; written through app.ticketing) --------------------------------


async def lock_paid_orders_of_event(conn: Conn, cell: int, event_id: UUID) -> list[Row]:
    """The event's paid orders with an amount, locked (id order). A concurrent cancel waits here,
    then reads them again and finds none still paid."""
    cur = await conn.execute(
        "SELECT cell, id, event_id, account_id, status, amount, currency, payment_intent_id FROM orders "
        "WHERE cell = %s AND event_id = %s AND status = 'paid' AND amount > 0 ORDER BY id FOR UPDATE",
        (cell, event_id),
    )
    return await cur.fetchall()


async def orders_to_reconcile(conn: Conn, older_than: datetime, newer_than: datetime, limit: int) -> list[Row]:
    """Orders with an intent whose payment has not reached us: awaiting payment, or closed unpaid
    (a payment may succeed after the hold lapsed), created in the window, oldest first."""
    cur = await conn.execute(
        "SELECT cell, id, payment_intent_id FROM orders "
        "WHERE status IN ('awaiting_payment', 'expired', 'cancelled', 'failed') AND payment_intent_id IS NOT NULL "
        "AND created_at <= %s AND created_at > %s ORDER BY created_at LIMIT %s",
        (older_than, newer_than, limit),
    )
    return await cur.fetchall()


# --- connected accounts and refund policy -------------------------------------------------------


async def payment_account(conn: Conn, organizer_id: UUID) -> Row | None:
    cur = await conn.execute(
        "SELECT organizer_id, stripe_account_id, charges_enabled, refund_window_s, created_at, updated_at "
        "FROM organizer_payment_accounts WHERE organizer_id = %s",
        (organizer_id,),
    )
    return await cur.fetchone()


async def save_connected_account(conn: Conn, organizer_id: UUID, account_id: str, now: datetime) -> None:
    await conn.execute(
        "INSERT INTO organizer_payment_accounts (organizer_id, stripe_account_id, created_at, updated_at) "
        "VALUES (%s, %s, %s, %s) ON CONFLICT (organizer_id) DO UPDATE "
        "SET stripe_account_id = COALESCE(organizer_payment_accounts.stripe_account_id, EXCLUDED.stripe_account_id), "
        "updated_at = EXCLUDED.updated_at",
        (organizer_id, account_id, now, now),
    )


async def organizer_of_event(conn: Conn, cell: int, event_id: UUID) -> Row | None:
    cur = await conn.execute("SELECT organizer_id, starts_at FROM events WHERE cell = %s AND id = %s", (cell, event_id))
    return await cur.fetchone()

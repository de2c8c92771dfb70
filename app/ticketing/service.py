"""The rules of ticketing: tiers, holds, orders and their settlement, capacity.

Capacity accounting (ADR "Capacity accounting and locking"): each scarce thing is a counter on a
small row (``ticket_tiers.sold/held``, ``event_places.taken``) changed by a conditional UPDATE that
re-checks the room under the row lock it takes; the CHECK constraints on those rows are the last
word. Rows are locked in one order everywhere (``app.ticketing.repository``) and every wait is
bounded by ``SET LOCAL lock_timeout`` (a timeout: ``CapacityBusy``, a 503 with Retry-After).

An order is made in three steps, so that no lock is held while the payment provider is called:
``place_order`` (transaction 1: hold the places, insert the order; committed), the provider call
(outside any transaction), ``attach_intent`` (transaction 2: store the intent's id and secret).
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import orjson
from psycopg import errors as pg_errors

from app.db import Conn
from app.kit.clock import Clock, utc_now
from app.payments.gateway import CreatedIntent, IntentState
from app.recommendations.signals import record_interaction
from app.ticketing import repository
from app.ticketing.availability import places_moved
from app.ticketing.errors import (
    CapacityBusy,
    EventNotFound,
    IdempotencyKeyReused,
    NotOnSale,
    OrderNotFound,
    OrderNotOpen,
    QuotaBelowTaken,
    SoldOut,
    TierNotFound,
)
from config.settings import TicketingSettings

Row = dict[str, Any]

# Constraints that guard capacity: if one of them fires, the code above let an oversell through;
# the database refused it and the buyer is told the places are gone.
_CAPACITY_CONSTRAINTS = {"event_places_within_capacity", "ticket_tiers_within_quota"}


@dataclass(frozen=True, slots=True)
class LineItem:
    tier_id: UUID
    quantity: int


@dataclass(frozen=True, slots=True)
class PlacedOrder:
    order: Row
    # True when the order was made by an earlier request with the same Idempotency-Key.
    replayed: bool

    @property
    def needs_intent(self) -> bool:
        return self.order["status"] == "awaiting_payment" and self.order["payment_intent_id"] is None


@dataclass(frozen=True, slots=True)
class SettleOutcome:
    """What settling a payment did: ``status`` of the order afterwards, and whether to refund it."""

    order_id: UUID
    status: str
    refund_needed: bool
    tickets_issued: int = 0


@asynccontextmanager
async def capacity_errors(settings: TicketingSettings) -> AsyncIterator[None]:
    """Turn a lock wait that timed out into a 503, and a capacity constraint that fired into a 409."""
    try:
        yield
    except (pg_errors.LockNotAvailable, pg_errors.DeadlockDetected) as exc:
        raise CapacityBusy(
            "too many people are buying these places at once; try again in a moment",
            headers={"Retry-After": str(settings.retry_after_s)},
        ) from exc
    except pg_errors.CheckViolation as exc:
        if exc.diag.constraint_name in _CAPACITY_CONSTRAINTS:
            raise SoldOut("not enough places left") from exc
        raise


# --- tiers --------------------------------------------------------------------------------------


async def create_tier(conn: Conn, event: Row, values: Row, settings: TicketingSettings, clock: Clock) -> Row:
    existing = await repository.tiers_of_event(conn, event["cell"], event["id"], settings.max_tiers_per_event)
    if len(existing) >= settings.max_tiers_per_event:
        raise NotOnSale(f"an event has at most {settings.max_tiers_per_event} tiers")
    await repository.ensure_places(conn, event["cell"], event["id"])
    now = clock()
    row = {**values, "cell": event["cell"], "event_id": event["id"], "created_at": now, "updated_at": now}
    return await repository.insert_tier(conn, row)


async def update_tier(conn: Conn, tier: Row, changes: Row, settings: TicketingSettings, clock: Clock) -> Row:
    """Apply ``changes``; a quota below what is sold and held is refused (the row is locked first)."""
    await repository.set_lock_timeout(conn, settings.lock_timeout_ms)
    async with capacity_errors(settings):
        locked = await repository.lock_tier(conn, tier["cell"], tier["id"])
        if locked is None:
            raise TierNotFound(f"tier {tier['id']} not found")
        merged = {**locked, **changes}
        if merged["quota"] is not None and merged["quota"] < locked["sold"] + locked["held"]:
            raise QuotaBelowTaken(f"{locked['sold'] + locked['held']} places are sold or held", param="quota")
        start, end = merged["sales_start"], merged["sales_end"]
        if start is not None and end is not None and start >= end:
            raise NotOnSale("sales_start must be before sales_end", param="sales_end")
        return await repository.update_tier(conn, locked["cell"], locked["id"], changes, clock())


async def set_event_capacity(conn: Conn, cell: int, event_id: UUID, capacity: int | None) -> None:
    """The events write service calls this when an event's capacity changes, in its transaction.

    Lowering the capacity below the places taken (going RSVPs, held and sold tickets) is refused.
    """
    places = await repository.lock_places(conn, cell, event_id)
    if places is None:
        return  # nothing taken yet: the row is made from events.capacity when first needed
    if capacity is not None and places["taken"] > capacity:
        raise QuotaBelowTaken(f"{places['taken']} places are taken already", param="capacity")
    await repository.set_capacity(conn, cell, event_id, capacity)
    taken = int(places["taken"])
    await places_moved(conn, cell, event_id, (places["capacity"], taken), (capacity, taken))


# --- orders -------------------------------------------------------------------------------------


def request_hash(event_id: UUID, items: Sequence[LineItem]) -> bytes:
    """The body's fingerprint for Idempotency-Key (items in a canonical order)."""
    canonical = [str(event_id), sorted((str(i.tier_id), i.quantity) for i in items)]
    return hashlib.sha256(orjson.dumps(canonical)).digest()


async def place_order(
    conn: Conn,
    *,
    account_id: UUID,
    event_id: UUID,
    items: Sequence[LineItem],
    idempotency_key: str | None,
    settings: TicketingSettings,
    clock: Clock,
) -> PlacedOrder:
    """Transaction 1: hold the places and insert the order (a free order is sold and ticketed at once).

    Round trips are few (they are the hold's cost): one reads the event and its tiers and sets the
    transaction's lock timeout (``repository.hold_facts``, pipelined, once the process knows the
    event's cell), one inserts the order, takes the places and commits (``hold_and_commit``,
    pipelined). That commit is the one exception to "the unit of work commits": a hold commits in the
    round trip that takes the places, so no buyer waits on a lock held across this process's turn;
    the caller's unit of work then commits what follows (nothing, or an availability change's log).
    Everything that takes no scarce lock comes first (the order, its items, a free order's tickets);
    the last statement takes the places (``repository.take``: the tiers in id order, then the
    event's, each re-checked under its row lock), so the locks are held for that statement and the
    commit only. The commit does not wait for its disk flush (the locks go at once); the caller
    calls ``wait_durable`` before it calls the payment provider or answers. Not enough room:
    ``SoldOut`` (the transaction rolls back, nothing is written).
    """
    async with capacity_errors(settings):
        event, tier_rows = await repository.hold_facts(
            conn, event_id, [i.tier_id for i in items], settings.lock_timeout_ms
        )
        if event is None or event["status"] != "published":
            raise EventNotFound(f"event {event_id} not found")
        now = clock()
        order_id = uuid4()
        if idempotency_key is not None:
            digest = request_hash(event_id, items)
            claimed = await repository.claim_order_request(
                conn, account_id, idempotency_key, digest, event["cell"], order_id, now
            )
            if not claimed:
                return await _replay(conn, account_id, idempotency_key, digest)
        tiers = _tiers_on_sale(event, items, tier_rows, now)
        order, lines = _new_order(event, order_id, account_id, items, tiers, settings, now)
        if order["amount"] > 0:  # a hold: the order, the take and the commit in one round trip
            await repository.hold_and_commit(conn, order, lines)
        else:  # paid at once: sold with its tickets and the purchase signal (as ``settle_paid`` records it)
            await repository.insert_order(conn, order, lines)
            for line in lines:
                await repository.issue_tickets(
                    conn, event["cell"], event_id, account_id, order_id, line["tier_id"], line["quantity"], now
                )
            await record_interaction(conn, account_id=account_id, cell=event["cell"], event_id=event_id,
                                     kind="purchase", at=now)  # fmt: skip
            await repository.take(conn, event["cell"], event_id, lines, sell=True)
    return PlacedOrder({**order, "payment_intent_id": None, "client_secret": None}, replayed=False)


async def wait_durable(conn: Conn) -> None:
    """Make every commit so far durable (after ``place_order``'s asynchronous commit)."""
    await repository.wait_durable(conn)


async def _replay(conn: Conn, account_id: UUID, key: str, digest: bytes) -> PlacedOrder:
    earlier = await repository.order_request(conn, account_id, key)
    assert earlier is not None  # the insert conflicted with a committed row
    if bytes(earlier["request_hash"]) != digest:
        raise IdempotencyKeyReused("this Idempotency-Key was sent before with another body")
    order = await repository.order_in_cell(conn, earlier["cell"], earlier["order_id"])
    if order is None:
        raise OrderNotFound("the order made with this Idempotency-Key no longer exists")
    return PlacedOrder(order, replayed=True)


def _tiers_on_sale(event: Row, items: Sequence[LineItem], rows: Sequence[Row], now: datetime) -> dict[UUID, Row]:
    tiers = {t["id"]: t for t in rows}
    for item in items:
        tier = tiers.get(item.tier_id)
        if tier is None or tier["event_id"] != event["id"]:
            raise TierNotFound(f"tier {item.tier_id} is not a tier of this event", param="items")
        if (tier["sales_start"] is not None and now < tier["sales_start"]) or (
            tier["sales_end"] is not None and now >= tier["sales_end"]
        ):
            raise NotOnSale(f"tier {tier['name']!r} is not on sale now", param="items")
        if item.quantity > tier["max_per_order"]:
            raise NotOnSale(f"at most {tier['max_per_order']} of tier {tier['name']!r} per order", param="items")
    if now >= event["ends_at"]:
        raise NotOnSale("the event is over")
    if len({t["currency"] for t in tiers.values()}) > 1:
        raise NotOnSale("one order pays in one currency", param="items")
    return tiers


def _new_order(
    event: Row,
    order_id: UUID,
    account_id: UUID,
    items: Sequence[LineItem],
    tiers: dict[UUID, Row],
    settings: TicketingSettings,
    now: datetime,
) -> tuple[Row, list[Row]]:
    lines = [
        {
            "cell": event["cell"],
            "order_id": order_id,
            "tier_id": i.tier_id,
            "quantity": i.quantity,
            "unit_price": tiers[i.tier_id]["price"],
        }
        for i in items
    ]
    amount = sum(line["quantity"] * line["unit_price"] for line in lines)
    currency = next(iter(tiers.values()))["currency"]
    order = {
        "cell": event["cell"],
        "event_id": event["id"],
        "id": order_id,
        "account_id": account_id,
        "status": "paid" if amount == 0 else "awaiting_payment",
        "amount": amount,
        "currency": currency,
        "application_fee": None,  # the gateway's terms set it with the intent (attach_intent)
        "payment_provider": None if amount == 0 else "stripe",
        "expires_at": now + timedelta(minutes=settings.hold_minutes),
        "created_at": now,
        "updated_at": now,
        "paid_at": now if amount == 0 else None,
    }
    return order, lines


async def attach_intent(
    conn: Conn, cell: int, order_id: UUID, intent: CreatedIntent, fee: int | None, clock: Clock
) -> Row:
    """Transaction 2: store the PaymentIntent made for the order (in ``cell``) and the platform's fee on
    it (once: the gateway is called with the order's own idempotency key, and a replay keeps the first)."""
    order = await repository.order_in_cell(conn, cell, order_id, lock=True)
    if order is None:
        raise OrderNotFound(f"order {order_id} not found")
    if order["payment_intent_id"] is not None:
        return order
    values = {"payment_intent_id": intent.id, "client_secret": intent.client_secret, "application_fee": fee}
    return await repository.set_order(conn, order["cell"], order_id, values, clock())


async def order_for(conn: Conn, order_id: UUID, account_id: UUID, settings: TicketingSettings, clock: Clock) -> Row:
    """The caller's order; a hold that has lapsed is released now (lazily, as the sweeper would)."""
    order = await repository.order_by_id(conn, order_id)
    if order is None or order["account_id"] != account_id:
        raise OrderNotFound(f"order {order_id} not found")
    if order["status"] == "awaiting_payment" and order["expires_at"] <= clock():
        await repository.set_lock_timeout(conn, settings.lock_timeout_ms)
        async with capacity_errors(settings):
            order = await _close_hold(conn, order, "expired", clock)
    return order


async def cancel_order(conn: Conn, order_id: UUID, account_id: UUID, settings: TicketingSettings, clock: Clock) -> Row:
    """The buyer gives up an unpaid order: its places are freed at once."""
    order = await repository.order_by_id(conn, order_id)
    if order is None or order["account_id"] != account_id:
        raise OrderNotFound(f"order {order_id} not found")
    await repository.set_lock_timeout(conn, settings.lock_timeout_ms)
    async with capacity_errors(settings):
        return await _close_hold(conn, order, "cancelled", clock, strict=True)


async def _close_hold(conn: Conn, order: Row, status: str, clock: Clock, *, strict: bool = False) -> Row:
    """Release the order's held places and give it ``status``; a no-op unless it is awaiting payment."""
    await repository.hold_event_key(conn, order["cell"], order["event_id"])
    locked = await repository.order_in_cell(conn, order["cell"], order["id"], lock=True)
    assert locked is not None
    if locked["status"] != "awaiting_payment":
        if strict:
            raise OrderNotOpen(f"the order is {locked['status']}")
        return locked
    await _release(conn, locked, sold=False)
    return await repository.set_order(conn, locked["cell"], locked["id"], {"status": status}, clock())


async def _release(conn: Conn, order: Row, *, sold: bool) -> None:
    items = await repository.items_of(conn, order["cell"], order["id"])
    for item in items:  # sorted by tier id
        await repository.release_tier(conn, order["cell"], item["tier_id"], item["quantity"], sold=sold)
    await repository.free_places(conn, order["cell"], order["event_id"], sum(i["quantity"] for i in items))


async def sweep_lapsed_holds(conn: Conn, settings: TicketingSettings, clock: Clock) -> int:
    """Release holds that ended (claimed with SKIP LOCKED: several workers share them); how many."""
    await repository.set_lock_timeout(conn, settings.lock_timeout_ms)
    lapsed = await repository.lapsed_holds(conn, clock(), settings.sweep_batch)
    for order in lapsed:
        await _release(conn, order, sold=False)
        await repository.set_order(conn, order["cell"], order["id"], {"status": "expired"}, clock())
    return len(lapsed)


# --- settlement (called by the payments webhook and reconciliation) ------------------------------


async def settle_paid(conn: Conn, order_id: UUID, intent: IntentState, clock: Clock = utc_now) -> SettleOutcome:
    """A PaymentIntent for this order succeeded: issue its tickets, or say it must be refunded.

    Idempotent (a paid order stays paid, a second call issues nothing). A hold that is still open
    becomes a sale. A lapsed, expired, cancelled or failed order takes its places again if they
    are still there (re-checked under the locks); if not, it is marked ``refund_pending`` and
    flagged — never a ticket beyond the quota — and the caller refunds it.
    """
    order = await repository.order_by_id(conn, order_id)
    if order is None:
        raise OrderNotFound(f"order {order_id} not found")
    await repository.hold_event_key(conn, order["cell"], order["event_id"])
    order = await repository.order_in_cell(conn, order["cell"], order_id, lock=True)
    assert order is not None
    status = order["status"]
    if status == "paid":
        return SettleOutcome(order_id, "paid", refund_needed=False)
    if status in {"refund_pending", "refunded", "flagged"}:
        return SettleOutcome(order_id, status, refund_needed=status == "refund_pending")
    if intent.status != "succeeded" or intent.amount != order["amount"] or intent.currency.upper() != order["currency"]:
        reason = f"intent {intent.id} is {intent.status}, {intent.amount} {intent.currency}"
        return await _flag(conn, order, reason, clock)
    now = clock()
    if status == "awaiting_payment" and order["expires_at"] > now:
        for item in await repository.items_of(conn, order["cell"], order_id):
            await repository.sell_held(conn, order["cell"], item["tier_id"], item["quantity"])
    else:
        if status == "awaiting_payment":
            await _release(conn, order, sold=False)
        if not await _take_again(conn, order):
            return await _flag(conn, order, "paid after its hold ended, and no place was left", clock)
    issued = await _issue_order_tickets(conn, order, now)
    if order.get("account_id") is not None:  # a signal for recommendations, with the payment's transaction
        buyer, cell, event_id = order["account_id"], order["cell"], order["event_id"]
        await record_interaction(conn, account_id=buyer, cell=cell, event_id=event_id, kind="purchase", at=now)
    await repository.set_order(
        conn, order["cell"], order_id, {"status": "paid", "paid_at": now, "payment_intent_id": intent.id}, now
    )
    return SettleOutcome(order_id, "paid", refund_needed=False, tickets_issued=issued)


async def _take_again(conn: Conn, order: Row) -> bool:
    """Sell the order's places anew if every tier and the event still have room (all or nothing)."""
    items = await repository.items_of(conn, order["cell"], order["id"])
    try:
        async with conn.transaction():  # a savepoint: a refused take leaves the transaction usable
            await repository.take(conn, order["cell"], order["event_id"], items, sell=True)
    except pg_errors.CheckViolation:
        return False
    return True


async def _issue_order_tickets(conn: Conn, order: Row, now: datetime) -> int:
    items = await repository.items_of(conn, order["cell"], order["id"])
    for item in items:
        await repository.issue_tickets(
            conn,
            order["cell"],
            order["event_id"],
            order["account_id"],
            order["id"],
            item["tier_id"],
            item["quantity"],
            now,
        )
    return sum(i["quantity"] for i in items)


async def _flag(conn: Conn, order: Row, reason: str, clock: Clock) -> SettleOutcome:
    await repository.set_order(
        conn,
        order["cell"],
        order["id"],
        {"status": "refund_pending", "flagged": True, "flag_reason": reason[:500]},
        clock(),
    )
    return SettleOutcome(order["id"], "refund_pending", refund_needed=True)


async def settle_failed(conn: Conn, order_id: UUID, clock: Clock = utc_now) -> Row:
    """The payment failed: the hold is released and the order is ``failed`` (a no-op otherwise)."""
    order = await repository.order_by_id(conn, order_id)
    if order is None:
        raise OrderNotFound(f"order {order_id} not found")
    return await _close_hold(conn, order, "failed", clock)


async def mark_refunded(
    conn: Conn, order_id: UUID, refund_id: str, clock: Clock = utc_now, *, release: bool = True
) -> Row:
    """A refund of the order went through: its tickets are void and (``release``) its places freed."""
    order = await repository.order_by_id(conn, order_id)
    if order is None:
        raise OrderNotFound(f"order {order_id} not found")
    await repository.hold_event_key(conn, order["cell"], order["event_id"])
    locked = await repository.order_in_cell(conn, order["cell"], order_id, lock=True)
    assert locked is not None
    if locked["status"] == "refunded":
        return locked
    if locked["status"] == "paid":
        await repository.void_tickets_of_order(conn, locked["cell"], order_id)
        if release:
            await _release(conn, locked, sold=True)
    return await repository.set_order(
        conn, locked["cell"], order_id, {"status": "refunded", "refund_id": refund_id}, clock()
    )


async def places_left(conn: Conn, cell: int, event_id: UUID) -> int | None:
    """Places still free at the event (None: no capacity)."""
    row = await repository.places_of(conn, cell, event_id)
    if row is None:
        return None
    if row["taken"] is None:  # nothing taken yet: no places row
        return None if row["event_capacity"] is None else int(row["event_capacity"])
    return None if row["capacity"] is None else max(0, row["capacity"] - row["taken"])


async def paid_orders_of_event(conn: Conn, cell: int, event_id: UUID) -> list[Row]:
    """The event's paid orders with an amount (for refunds when the event is cancelled)."""
    return await repository.paid_orders_of_event(conn, cell, event_id)


async def holds_ticket_or_rsvp(conn: Conn, account_id: UUID, cell: int, event_id: UUID) -> bool:
    """Whether the person holds a valid ticket or a going/waitlisted RSVP (they see the exact place)."""
    return await repository.holds_ticket_or_rsvp(conn, account_id, cell, event_id)

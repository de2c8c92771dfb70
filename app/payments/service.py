"""The rules of payments: what a webhook does, refunds owed and made, reconciliation, the refund policy.

Payment flow (ADR "Payments"): ticketing holds the places and creates the PaymentIntent outside
its lock; Stripe tells us through a webhook (or the reconciliation job finds out) that the intent
succeeded; we fetch the intent again and ticketing settles the order (tickets, or
``refund_pending`` when the places are gone). A refund owed is a ``payment_refunds`` row written
in the transaction that owes it; the provider is called afterwards, outside any transaction, by
``execute_refunds`` (right after the request, and by the worker's job until it is done).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

from app.db import Conn, UnitOfWork
from app.kit.clock import Clock
from app.payments import repository
from app.payments.errors import NotPayable, NotRefundable, OrderNotFound, PaymentProviderError, PaymentProviderRefused
from app.payments.gateway import IntentState, PaymentGateway, RefundingGateway, RefundState
from app.payments.webhooks import VerifiedEvent
from app.ticketing import repository as orders
from app.ticketing import service as ticketing
from app.ticketing.errors import OrderNotFound as TicketingOrderNotFound
from config.settings import PaymentsSettings

log = logging.getLogger("happenings.payments")

Row = dict[str, Any]
OpenWork = Callable[[], AbstractAsyncContextManager[UnitOfWork]]

# How long a claimed refund is left to its claimer before another worker may try it again.
REFUND_LEASE = timedelta(minutes=2)


@dataclass(frozen=True, slots=True)
class OrdersRefunded:
    """Paid orders that will be refunded (after commit): push tells their buyers."""

    cell: int
    event_id: UUID
    order_ids: tuple[UUID, ...]
    account_ids: tuple[UUID, ...]
    reason: str  # attendee | event_cancelled


@dataclass(frozen=True, slots=True)
class WebhookResult:
    outcome: str  # what was done: paid, refund_owed, failed, unchanged, duplicate, ignored, not_ours, unknown_order
    order_id: UUID | None = None
    refund_owed: bool = False


# --- settling a payment -------------------------------------------------------------------------


async def settle_intent(conn: Conn, intent: IntentState, clock: Clock) -> WebhookResult:
    """Act on the intent as Stripe holds it now (fetched again; never a webhook's copy).

    Succeeded: ticketing makes the order paid (or owes a refund when its places are gone; the
    refund row is written here, in the same transaction). Canceled: the hold is released.
    Anything else (a declined card the buyer may still replace, processing): nothing yet.
    """
    if intent.order_id is None:
        return WebhookResult("not_ours")
    try:
        if intent.succeeded:
            outcome = await ticketing.settle_paid(conn, intent.order_id, intent, clock)
            if outcome.refund_needed:
                await _owe_refund(conn, intent, clock)
                return WebhookResult("refund_owed", intent.order_id, refund_owed=True)
            return WebhookResult(outcome.status, intent.order_id)
        if intent.failed:
            order = await ticketing.settle_failed(conn, intent.order_id, clock)
            return WebhookResult(order["status"], intent.order_id)
    except TicketingOrderNotFound:
        return WebhookResult("unknown_order", intent.order_id)
    return WebhookResult("unchanged", intent.order_id)


async def _owe_refund(conn: Conn, intent: IntentState, clock: Clock) -> None:
    order = await orders.order_by_id(conn, intent.order_id)  # type: ignore[arg-type]
    assert order is not None
    reason = "late_payment" if intent.amount == order["amount"] else "mismatch"
    # The amount the buyer actually paid, to the intent that took it.
    owed = {**order, "payment_intent_id": intent.id, "amount": intent.amount, "currency": intent.currency.upper()}
    await repository.request_refund(conn, owed, reason, clock())


async def handle_webhook(
    open_work: OpenWork, gateway: PaymentGateway, event: VerifiedEvent, clock: Clock
) -> WebhookResult:
    """One verified event: recorded under its id in the same transaction as its effect.

    A redelivery (or a concurrent copy: the unique key makes it wait for the first to commit)
    finds the id and does nothing. The intent is fetched before the transaction opens, so no
    row is locked while Stripe answers.
    """
    if event.intent_id is None:
        async with open_work() as work:
            done = await repository.record_event(work.conn, event.id, event.type, None, None, "ignored", clock())
        return WebhookResult("ignored" if done else "duplicate")
    async with open_work() as work:
        if await _seen(work.conn, event.id):
            return WebhookResult("duplicate")
    intent = await gateway.retrieve_intent(event.intent_id)
    async with open_work() as work:
        if not await repository.record_event(
            work.conn, event.id, event.type, intent.id, intent.order_id, "received", clock()
        ):
            return WebhookResult("duplicate")
        result = await settle_intent(work.conn, intent, clock)
        await repository.set_event_outcome(work.conn, event.id, result.outcome)
    return result


async def _seen(conn: Conn, event_id: str) -> bool:
    return await repository.event_seen(conn, event_id)


async def order_now(conn: Conn, order_id: UUID) -> Row | None:
    return await orders.order_by_id(conn, order_id)


async def test_payment_intent(conn: Conn, order_id: UUID, account_id: UUID) -> str:
    """The PaymentIntent of the caller's order awaiting payment (for the offline test-card form)."""
    order = await orders.order_by_id(conn, order_id)
    if order is None or order["account_id"] != account_id:
        raise OrderNotFound(f"order {order_id} not found")
    if order["status"] != "awaiting_payment" or not order["payment_intent_id"]:
        raise NotPayable(f"the order is {order['status']}")
    return str(order["payment_intent_id"])


async def charge_terms(conn: Conn, organizer_id: UUID, amount: int, fee: int) -> tuple[int | None, str | None]:
    """``(application_fee, destination_account)`` for an order of ``organizer_id``: a destination
    charge to the organizer's connected account (keeping ``fee``) once it can take charges; none
    otherwise (the platform collects the whole amount). Pass both to ``gateway.create_intent``."""
    account = await repository.payment_account(conn, organizer_id)
    if account is None or not account["stripe_account_id"] or not account["charges_enabled"] or amount == 0:
        return None, None
    return fee or None, account["stripe_account_id"]


# --- refunds ------------------------------------------------------------------------------------


async def _begin_refund(conn: Conn, order: Row, reason: str, clock: Clock, *, release: bool) -> None:
    """A locked paid order becomes ``refund_pending``: its tickets are void at once (and, for an
    attendee's refund, its places free for others); the refund itself is owed in ``payment_refunds``."""
    now = clock()
    await orders.void_tickets_of_order(conn, order["cell"], order["id"])
    if release:
        items = await orders.items_of(conn, order["cell"], order["id"])
        for item in items:  # tier id order, then the places row: the lock order of ticketing
            await orders.release_tier(conn, order["cell"], item["tier_id"], item["quantity"], sold=True)
        await orders.free_places(conn, order["cell"], order["event_id"], sum(i["quantity"] for i in items))
    await orders.set_order(conn, order["cell"], order["id"], {"status": "refund_pending"}, now)
    await repository.request_refund(conn, order, reason, now)


async def refund_event(conn: Conn, cell: int, event_id: UUID, clock: Clock) -> OrdersRefunded | None:
    """The event is cancelled: every paid order is owed its refund, in the caller's transaction.

    Exactly once even when two cancels race: the orders are locked, and a second cancel that waited
    reads them again after the first committed and finds none still paid (and ``payment_refunds``
    holds at most one row per order). Publish the answer on the unit of work (after commit, push
    tells the buyers); ``None`` when there was nothing to refund. The worker's refunds job calls
    Stripe.
    """
    await orders.hold_event_key(conn, cell, event_id)
    paid = await repository.lock_paid_orders_of_event(conn, cell, event_id)
    for order in paid:
        await _begin_refund(conn, order, "event_cancelled", clock, release=False)
    if not paid:
        return None
    return OrdersRefunded(
        cell, event_id, tuple(o["id"] for o in paid), tuple(o["account_id"] for o in paid if o["account_id"]),
        "event_cancelled",
    )  # fmt: skip


async def refund_window(conn: Conn, organizer_id: UUID | None, settings: PaymentsSettings) -> timedelta:
    """How long before an event's start its attendees may still ask for a refund: the organizer's
    policy when it set one, the service's default otherwise."""
    account = await repository.payment_account(conn, organizer_id) if organizer_id else None
    seconds = account["refund_window_s"] if account and account["refund_window_s"] is not None else None
    return timedelta(seconds=settings.refund_window_s if seconds is None else seconds)


async def request_attendee_refund(
    conn: Conn, order_id: UUID, account_id: UUID, settings: PaymentsSettings, clock: Clock
) -> tuple[Row, OrdersRefunded | None]:
    """The buyer asks for their money back: allowed for a paid order until the refund window closes.

    Asked twice (or twice at once): the second finds the order ``refund_pending`` and owes nothing more.
    """
    order = await orders.order_by_id(conn, order_id)
    if order is None or order["account_id"] != account_id:
        raise OrderNotFound(f"order {order_id} not found")
    event = await repository.organizer_of_event(conn, order["cell"], order["event_id"])
    window = await refund_window(conn, event["organizer_id"] if event else None, settings)
    await orders.hold_event_key(conn, order["cell"], order["event_id"])
    locked = await orders.order_in_cell(conn, order["cell"], order_id, lock=True)
    assert locked is not None
    if locked["status"] in {"refund_pending", "refunded"}:
        return locked, None
    if locked["status"] != "paid" or locked["amount"] == 0:
        raise NotRefundable(f"the order is {locked['status']}" + (" and free" if locked["amount"] == 0 else ""))
    if window.total_seconds() <= 0 or event is None or clock() > event["starts_at"] - window:
        raise NotRefundable("the organizer's refund window for this event has closed")
    await _begin_refund(conn, locked, "attendee", clock, release=True)
    changed = await orders.order_in_cell(conn, locked["cell"], order_id)
    assert changed is not None
    refunded = OrdersRefunded(locked["cell"], locked["event_id"], (order_id,), (account_id,), "attendee")
    return changed, refunded


async def execute_refunds(
    open_work: OpenWork, gateway: RefundingGateway, clock: Clock, limit: int, order_id: UUID | None = None
) -> int:
    """Make the refunds owed (or only ``order_id``'s): claim, call the provider, record. How many settled.

    A claim is a lease on the row, committed before the call: two workers never call the provider
    for the same refund at once, and a worker that dies mid-call leaves a lease that runs out. The
    idempotency key is the order's (Stripe returns the first refund to a repeated call within a
    day; localstripe ignores keys, which is why the lease is ours). No transaction is open while
    the provider answers.
    """
    async with open_work() as work:
        if order_id is None:
            await repository.owe_pending_orders(work.conn, clock(), limit)
        claimed = await repository.claim_refunds(work.conn, clock(), REFUND_LEASE, limit, order_id)
    settled = 0
    for row in claimed:
        settled += await _execute_one(open_work, gateway, clock, row)
    return settled


async def _refund_once(gateway: RefundingGateway, row: Row) -> RefundState:
    """The provider's refund for this row: the one an earlier attempt made (a claim taken again
    after a lease ran out), else a new one."""
    if row["attempts"] > 1:
        earlier = [r for r in await gateway.refunds_of(row["intent_id"]) if r.status not in {"failed", "canceled"}]
        if earlier:
            return earlier[0]
    key = f"refund:{row['order_id']}"
    return await gateway.refund(intent_id=row["intent_id"], amount=row["amount"], idempotency_key=key)


async def _execute_one(open_work: OpenWork, gateway: RefundingGateway, clock: Clock, row: Row) -> int:
    try:
        state = await _refund_once(gateway, row)
    except PaymentProviderRefused as exc:
        async with open_work() as work:
            await repository.finish_refund(work.conn, row["cell"], row["order_id"], "failed", None, exc.detail, clock())
            await orders.set_order(
                work.conn, row["cell"], row["order_id"],
                {"flagged": True, "flag_reason": f"refund refused: {exc.detail}"[:500]}, clock(),
            )  # fmt: skip
        log.error("refund refused", extra={"order_id": str(row["order_id"]), "error": exc.detail})
        return 1
    except PaymentProviderError as exc:
        async with open_work() as work:
            await repository.release_refund(work.conn, row["cell"], row["order_id"], exc.detail)
        return 0
    status = "failed" if state.status in {"failed", "canceled"} else "succeeded"
    async with open_work() as work:
        recorded = await repository.finish_refund(
            work.conn, row["cell"], row["order_id"], status, state.id, None, clock()
        )
        if recorded and status == "succeeded":
            await ticketing.mark_refunded(work.conn, row["order_id"], state.id, clock, release=False)
    return 1


# --- reconciliation -----------------------------------------------------------------------------


async def reconcile(
    open_work: OpenWork, gateway: PaymentGateway, settings: PaymentsSettings, clock: Clock, lookback: timedelta
) -> int:
    """Settle the payments whose webhook never came: orders with an intent, unpaid after
    ``reconcile_after_s``, checked with Stripe; how many changed. Refunds they owe are made next."""
    now = clock()
    async with open_work() as work:
        candidates = await repository.orders_to_reconcile(
            work.conn, now - timedelta(seconds=settings.reconcile_after_s), now - lookback, settings.reconcile_batch
        )
    changed = 0
    for candidate in candidates:
        try:
            intent = await gateway.retrieve_intent(candidate["payment_intent_id"])
        except (PaymentProviderError, PaymentProviderRefused) as exc:
            log.warning("reconcile: intent not read", extra={"order_id": str(candidate["id"]), "error": exc.detail})
            continue
        if intent.order_id != candidate["id"] or not (intent.succeeded or intent.failed):
            continue
        async with open_work() as work:
            result = await settle_intent(work.conn, intent, clock)
        changed += result.outcome in {"paid", "refund_owed"} or (intent.failed and result.outcome == "failed")
    return changed

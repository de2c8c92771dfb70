"""Refunds against localstripe: an attendee's within the policy, a cancelled event's exactly once
(also when the cancel is sent twice at once), and reconciliation of payments whose webhook was lost."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest
from fastapi import FastAPI

from app.payments import service
from app.payments.service import OrdersRefunded
from tests.accounts.helpers import FrozenClock
from tests.payments.helpers import deliver, intent_event, intent_of, order, pay
from tests.ticketing.helpers import Person, event, organizer, people, scalar, tier


@pytest.fixture
async def on_sale(app: FastAPI, client: httpx.AsyncClient, team: dict[str, Person]) -> dict[str, Any]:
    org = await organizer(app, team)
    event_id = await event(app, org)
    standard = await tier(client, team["editor"], event_id, quota=50)
    cell = await scalar(app, "SELECT cell FROM events WHERE id = %s", event_id)
    return {"event_id": event_id, "tier_id": standard["id"], "cell": cell, "organizer_id": org}


async def bought(app: FastAPI, client: httpx.AsyncClient, on_sale: dict[str, Any], clock: FrozenClock, n: int):
    """``n`` buyers with a paid order each (paid at localstripe, settled by a webhook)."""
    buyers = await people(app, n)
    made = []
    for buyer in buyers:
        placed = await order(client, buyer, on_sale["event_id"], on_sale["tier_id"], 2)
        intent_id = await intent_of(app, placed["id"])
        assert await pay(app, intent_id) == "succeeded"
        answer = await deliver(client, intent_event(intent_id), int(clock().timestamp()))
        assert answer.json()["outcome"] == "paid"
        made.append((buyer, placed["id"], intent_id))
    return made


async def test_an_attendee_refund_within_the_policy(
    app: FastAPI, client: httpx.AsyncClient, on_sale: dict[str, Any], clock: FrozenClock
) -> None:
    heard: list[OrdersRefunded] = []

    async def listen(event: OrdersRefunded) -> None:
        heard.append(event)

    app.state.after_commit.listen(OrdersRefunded, listen)
    [(buyer, order_id, intent_id)] = await bought(app, client, on_sale, clock, 1)
    answers = await asyncio.gather(
        *(client.post(f"/api/v1/orders/{order_id}/refund", headers=buyer.headers) for _ in range(3))
    )
    assert {a.status_code for a in answers} == {202}, [a.text for a in answers]
    assert await scalar(app, "SELECT status FROM orders WHERE id = %s", UUID(order_id)) == "refunded"
    assert len(await app.state.payments.gateway.refunds_of(intent_id)) == 1
    assert (
        await scalar(app, "SELECT count(*) AS n FROM tickets WHERE order_id = %s AND status = 'valid'", UUID(order_id))
        == 0
    )
    assert (
        await scalar(app, "SELECT sold FROM ticket_tiers WHERE id = %s", on_sale["tier_id"]) == 0
    )  # places free again
    assert [(e.order_ids, e.reason) for e in heard] == [((UUID(order_id),), "attendee")]
    # Someone else's order is not found; a refunded one is not refundable twice.
    [other] = await people(app, 1)
    assert (await client.post(f"/api/v1/orders/{order_id}/refund", headers=other.headers)).status_code == 404
    again = await client.post(f"/api/v1/orders/{order_id}/refund", headers=buyer.headers)
    assert again.status_code == 202 and again.json()["status"] == "refunded"


async def test_no_refund_once_the_window_closed(
    app: FastAPI, client: httpx.AsyncClient, on_sale: dict[str, Any], clock: FrozenClock
) -> None:
    [(buyer, order_id, intent_id)] = await bought(app, client, on_sale, clock, 1)
    clock.advance(timedelta(days=1).total_seconds() - 3599)  # 59 min 59 s before the start; the window is 1 h
    answer = await client.post(f"/api/v1/orders/{order_id}/refund", headers=buyer.headers)
    assert answer.status_code == 409 and answer.json()["type"].endswith("/not-refundable")
    assert await scalar(app, "SELECT status FROM orders WHERE id = %s", UUID(order_id)) == "paid"
    assert await app.state.payments.gateway.refunds_of(intent_id) == []


async def test_cancelling_an_event_twice_at_once_refunds_every_paid_order_once(
    app: FastAPI, client: httpx.AsyncClient, on_sale: dict[str, Any], clock: FrozenClock
) -> None:
    paid = await bought(app, client, on_sale, clock, 6)
    [unpaid_buyer] = await people(app, 1)
    unpaid = await order(client, unpaid_buyer, on_sale["event_id"], on_sale["tier_id"])
    payments = app.state.payments

    async def cancel() -> OrdersRefunded | None:
        async with payments.open_work() as work:
            return await service.refund_event(work.conn, on_sale["cell"], on_sale["event_id"], clock)

    first, second = await asyncio.gather(cancel(), cancel())
    announced = [e for e in (first, second) if e is not None]
    assert len(announced) == 1 and len(announced[0].order_ids) == 6  # the second found nothing left to refund
    # Two workers run the refunds job at once, then again: every order refunded once.
    runs = await asyncio.gather(
        *(service.execute_refunds(payments.open_work, payments.gateway, clock, 50) for _ in range(2))
    )
    assert sum(runs) == 6
    assert await service.execute_refunds(payments.open_work, payments.gateway, clock, 50) == 0
    for _, order_id, intent_id in paid:
        assert await scalar(app, "SELECT status FROM orders WHERE id = %s", UUID(order_id)) == "refunded"
        assert len(await payments.gateway.refunds_of(intent_id)) == 1
    assert await scalar(app, "SELECT count(*) AS n FROM payment_refunds WHERE status = 'succeeded'") == 6
    assert await scalar(app, "SELECT count(*) AS n FROM tickets WHERE status = 'valid'") == 0
    assert await scalar(app, "SELECT status FROM orders WHERE id = %s", UUID(unpaid["id"])) == "awaiting_payment"


async def test_a_refund_claimed_again_after_a_crash_finds_the_refund_already_made(
    app: FastAPI, client: httpx.AsyncClient, on_sale: dict[str, Any], clock: FrozenClock
) -> None:
    """The provider refunded, then the worker died before recording it: the lease runs out, the next
    claim reads the intent's refunds and records that one instead of refunding again."""
    [(_, order_id, intent_id)] = await bought(app, client, on_sale, clock, 1)
    payments = app.state.payments
    async with payments.open_work() as work:
        await service.refund_event(work.conn, on_sale["cell"], on_sale["event_id"], clock)
        claimed = await service.repository.claim_refunds(work.conn, clock(), service.REFUND_LEASE, 10)
    assert len(claimed) == 1
    made = await payments.gateway.refund(intent_id=intent_id, amount=claimed[0]["amount"], idempotency_key="x")
    # (the worker dies here)
    assert await service.execute_refunds(payments.open_work, payments.gateway, clock, 10) == 0  # leased
    clock.advance(service.REFUND_LEASE.total_seconds() + 1)
    assert await service.execute_refunds(payments.open_work, payments.gateway, clock, 10) == 1
    assert [r.id for r in await payments.gateway.refunds_of(intent_id)] == [made.id]
    assert await scalar(app, "SELECT refund_id FROM orders WHERE id = %s", UUID(order_id)) == made.id


async def test_reconciliation_settles_a_payment_whose_webhook_was_lost(
    app: FastAPI, client: httpx.AsyncClient, on_sale: dict[str, Any], clock: FrozenClock
) -> None:
    buyers = await people(app, 2)
    lost = await order(client, buyers[0], on_sale["event_id"], on_sale["tier_id"], 2)
    waiting = await order(client, buyers[1], on_sale["event_id"], on_sale["tier_id"])
    assert await pay(app, await intent_of(app, lost["id"])) == "succeeded"  # no webhook comes
    payments = app.state.payments
    lookback = timedelta(hours=6)
    too_soon = await service.reconcile(payments.open_work, payments.gateway, payments.settings, clock, lookback)
    assert too_soon == 0  # younger than reconcile_after_s: the webhook may still come
    clock.advance(payments.settings.reconcile_after_s)
    assert await service.reconcile(payments.open_work, payments.gateway, payments.settings, clock, lookback) == 1
    assert await scalar(app, "SELECT status FROM orders WHERE id = %s", UUID(lost["id"])) == "paid"
    assert await scalar(app, "SELECT count(*) AS n FROM tickets WHERE order_id = %s", UUID(lost["id"])) == 2
    assert await scalar(app, "SELECT status FROM orders WHERE id = %s", UUID(waiting["id"])) == "awaiting_payment"
    # Run again: nothing more changes.
    assert await service.reconcile(payments.open_work, payments.gateway, payments.settings, clock, lookback) == 0


async def test_connect_onboarding_is_a_clear_503_against_localstripe(
    app: FastAPI, client: httpx.AsyncClient, on_sale: dict[str, Any], team: dict[str, Person]
) -> None:
    path = f"/api/v1/organizers/{on_sale['organizer_id']}/payments/connect"
    answer = await client.post(path, headers=team["owner"].headers)
    assert answer.status_code == 503, answer.text
    assert answer.json()["type"].endswith("/connect-unavailable") and "localstripe" in answer.json()["detail"]
    assert (await client.post(path, headers=team["editor"].headers)).status_code == 403
    assert await scalar(app, "SELECT count(*) AS n FROM organizer_payment_accounts") == 0

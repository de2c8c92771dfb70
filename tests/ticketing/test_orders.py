"""Orders over HTTP and the settlement functions: holds, expiry, idempotency, free orders."""

from __future__ import annotations

from uuid import UUID

import httpx
import pytest
from fastapi import FastAPI

from app.ticketing import service
from tests.accounts.helpers import FrozenClock
from tests.ticketing.helpers import Intent, Person, event, hold, organizer, people, scalar, tier


@pytest.fixture
async def team(app: FastAPI) -> dict[str, Person]:
    owner, editor, checker = await people(app, 3, prefix="team")
    return {"owner": owner, "editor": editor, "checker": checker}


async def test_a_free_order_is_paid_at_once_with_its_tickets(
    app: FastAPI, client: httpx.AsyncClient, team: dict[str, Person]
) -> None:
    org = await organizer(app, team)
    event_id = await event(app, org)
    free = await tier(client, team["editor"], event_id, name="Free", price=0, quota=3)
    [buyer] = await people(app, 1)
    body = {"event_id": str(event_id), "items": [{"tier_id": free["id"], "quantity": 2}]}
    response = await client.post("/api/v1/orders", json=body, headers=buyer.headers)
    assert response.status_code == 201, response.text
    order = response.json()
    assert order["status"] == "paid" and order["payment"] == {"provider": None, "client_secret": None}
    assert len(order["tickets"]) == 2
    tiers = (await client.get(f"/api/v1/events/{event_id}/tiers")).json()["items"]
    assert tiers[0]["places_left"] == 1 and not tiers[0]["sold_out"]
    mine = (await client.get("/api/v1/me/tickets", headers=buyer.headers)).json()["items"]
    assert {t["code"] for t in mine} == {t["code"] for t in order["tickets"]}
    assert all(t["qr_svg"].startswith("data:image/svg+xml") for t in mine)
    # A signal for recommendations, as a paid order's settlement records one.
    kinds = await scalar(app, "SELECT array_agg(kind) FROM interactions WHERE account_id = %s", buyer.account_id)
    assert kinds == ["purchase"]


async def test_the_same_idempotency_key_answers_the_same_order_and_refuses_another_body(
    app: FastAPI, client: httpx.AsyncClient, team: dict[str, Person]
) -> None:
    org = await organizer(app, team)
    event_id = await event(app, org)
    free = await tier(client, team["editor"], event_id, price=0, quota=10)
    [buyer] = await people(app, 1)
    body = {"event_id": str(event_id), "items": [{"tier_id": free["id"], "quantity": 1}]}
    headers = {**buyer.headers, "Idempotency-Key": "order-7f3a"}
    first = await client.post("/api/v1/orders", json=body, headers=headers)
    again = await client.post("/api/v1/orders", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    other = {"event_id": str(event_id), "items": [{"tier_id": free["id"], "quantity": 2}]}
    refused = await client.post("/api/v1/orders", json=other, headers=headers)
    assert refused.status_code == 422 and refused.json()["type"].endswith("/idempotency-key-reused")
    assert await scalar(app, "SELECT count(*) FROM orders") == 1
    assert await scalar(app, "SELECT sold FROM ticket_tiers") == 1


async def test_a_lapsed_hold_frees_its_places_lazily_and_by_the_sweeper(
    app: FastAPI, client: httpx.AsyncClient, team: dict[str, Person], clock: FrozenClock
) -> None:
    org = await organizer(app, team)
    event_id = await event(app, org, capacity=5)
    paid = await tier(client, team["editor"], event_id, quota=2)
    a, b, c = await people(app, 3)
    first, second = await hold(app, a, event_id, paid["id"]), await hold(app, b, event_id, paid["id"])
    with pytest.raises(service.SoldOut):
        await hold(app, c, event_id, paid["id"])
    clock.advance(app.state.settings.ticketing.hold_minutes * 60 + 1)
    seen = await client.get(f"/api/v1/orders/{first['id']}", headers=a.headers)  # lazily, on read
    assert seen.json()["status"] == "expired"
    async with app.state.pool.connection() as conn, conn.transaction():
        swept = await service.sweep_lapsed_holds(conn, app.state.settings.ticketing, clock)
    assert swept == 1
    assert await scalar(app, "SELECT status FROM orders WHERE id = %s", second["id"]) == "expired"
    assert await scalar(app, "SELECT held + sold FROM ticket_tiers") == 0
    assert await scalar(app, "SELECT taken FROM event_places") == 0
    await hold(app, c, event_id, paid["id"])  # the places are there again


async def test_settling_a_payment_issues_tickets_once_or_asks_for_a_refund(
    app: FastAPI, client: httpx.AsyncClient, team: dict[str, Person], clock: FrozenClock
) -> None:
    org = await organizer(app, team)
    event_id = await event(app, org)
    paid = await tier(client, team["editor"], event_id, quota=1, price=1200)
    a, b = await people(app, 2)
    order = await hold(app, a, event_id, paid["id"])
    intent = Intent("pi_1", "succeeded", 1200, "eur")
    for _ in range(3):  # a webhook delivered again, and reconciliation finding it too
        async with app.state.pool.connection() as conn, conn.transaction():
            outcome = await service.settle_paid(conn, UUID(str(order["id"])), intent, clock)
        assert outcome.status == "paid" and not outcome.refund_needed
    assert await scalar(app, "SELECT count(*) FROM tickets") == 1
    assert await scalar(app, "SELECT sold FROM ticket_tiers") == 1

    # A hold that lapsed and whose place another buyer took: paid anyway, so refunded, never oversold.
    async with app.state.pool.connection() as conn, conn.transaction():
        await service.mark_refunded(conn, UUID(str(order["id"])), "re_1", clock)
    late = await hold(app, b, event_id, paid["id"])
    clock.advance(app.state.settings.ticketing.hold_minutes * 60 + 1)
    async with app.state.pool.connection() as conn, conn.transaction():
        await service.sweep_lapsed_holds(conn, app.state.settings.ticketing, clock)
    [c] = await people(app, 1)
    await hold(app, c, event_id, paid["id"])
    async with app.state.pool.connection() as conn, conn.transaction():
        outcome = await service.settle_paid(
            conn, UUID(str(late["id"])), Intent("pi_2", "succeeded", 1200, "eur"), clock
        )
    assert outcome.refund_needed and outcome.status == "refund_pending"
    assert await scalar(app, "SELECT flagged FROM orders WHERE id = %s", late["id"]) is True
    assert await scalar(app, "SELECT sold + held FROM ticket_tiers") == 1


async def test_a_failed_payment_frees_the_hold(
    app: FastAPI, client: httpx.AsyncClient, team: dict[str, Person]
) -> None:
    org = await organizer(app, team)
    event_id = await event(app, org)
    paid = await tier(client, team["editor"], event_id, quota=1)
    [a] = await people(app, 1)
    order = await hold(app, a, event_id, paid["id"])
    async with app.state.pool.connection() as conn, conn.transaction():
        failed = await service.settle_failed(conn, UUID(str(order["id"])))
    assert failed["status"] == "failed"
    assert await scalar(app, "SELECT held FROM ticket_tiers") == 0


async def test_the_buyer_cancels_an_unpaid_order(
    app: FastAPI, client: httpx.AsyncClient, team: dict[str, Person]
) -> None:
    org = await organizer(app, team)
    event_id = await event(app, org)
    paid = await tier(client, team["editor"], event_id, quota=1)
    a, b = await people(app, 2)
    order = await hold(app, a, event_id, paid["id"])
    assert (await client.post(f"/api/v1/orders/{order['id']}/cancel", headers=b.headers)).status_code == 404
    cancelled = await client.post(f"/api/v1/orders/{order['id']}/cancel", headers=a.headers)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    again = await client.post(f"/api/v1/orders/{order['id']}/cancel", headers=a.headers)
    assert again.status_code == 409
    assert await scalar(app, "SELECT held FROM ticket_tiers") == 0


async def test_a_paid_order_without_payments_configured_is_a_503_and_keeps_its_hold(
    app: FastAPI, client: httpx.AsyncClient, team: dict[str, Person]
) -> None:
    org = await organizer(app, team)
    event_id = await event(app, org)
    paid = await tier(client, team["editor"], event_id, quota=1)
    [a] = await people(app, 1)
    body = {"event_id": str(event_id), "items": [{"tier_id": paid["id"], "quantity": 1}]}
    assert not app.state.settings.payments.enabled  # no Stripe key in these tests: the gateway is off
    response = await client.post("/api/v1/orders", json=body, headers={**a.headers, "Idempotency-Key": "k1"})
    assert response.status_code == 503
    assert await scalar(app, "SELECT held FROM ticket_tiers") == 1

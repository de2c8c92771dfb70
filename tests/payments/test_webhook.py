"""The Stripe webhook against a running localstripe: refused when it does not check out, exactly
once however often it comes, the same end state whatever the order, a late payment refunded."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.payments import service
from app.payments.webhooks import signature_header
from app.ticketing import service as ticketing
from tests.accounts.helpers import FrozenClock
from tests.fixtures.localstripe import WEBHOOK_SECRET
from tests.payments.helpers import WEBHOOK, counts, deliver, intent_event, intent_of, order, pay, signed
from tests.ticketing.helpers import Person, event, organizer, people, scalar, tier


@pytest.fixture
async def on_sale(app: FastAPI, client: httpx.AsyncClient, team: dict[str, Person]) -> dict[str, Any]:
    org = await organizer(app, team)
    event_id = await event(app, org)
    standard = await tier(client, team["editor"], event_id, quota=5)
    return {"event_id": event_id, "tier_id": standard["id"]}


async def paid_at_stripe(app: FastAPI, client: httpx.AsyncClient, on_sale: dict[str, Any], quantity: int = 1):
    [buyer] = await people(app, 1)
    made = await order(client, buyer, on_sale["event_id"], on_sale["tier_id"], quantity)
    intent_id = await intent_of(app, made["id"])
    assert await pay(app, intent_id) == "succeeded"
    return made, intent_id


async def test_no_secret_no_endpoint(app: FastAPI, client: httpx.AsyncClient, clock: FrozenClock) -> None:
    app.state.payments.settings = app.state.payments.settings.model_copy(update={"webhook_secret": None})
    response = await deliver(client, intent_event("pi_x"), int(clock().timestamp()))
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    "spoil",
    ["tampered body", "wrong secret", "six minutes old", "six minutes ahead", "no signature", "not json"],
)
async def test_a_webhook_that_does_not_check_out_is_400_and_writes_nothing(
    app: FastAPI, client: httpx.AsyncClient, clock: FrozenClock, on_sale: dict[str, Any], spoil: str
) -> None:
    made, intent_id = await paid_at_stripe(app, client, on_sale)
    before = await counts(app)
    now = int(clock().timestamp())
    body, headers = signed(intent_event(intent_id), now)
    if spoil == "tampered body":
        body = body.replace(b'"succeeded"', b'"succeeded" ')
    elif spoil == "wrong secret":
        body, headers = signed(intent_event(intent_id), now, secret="whsec_not_ours")
    elif spoil == "six minutes old":
        body, headers = signed(intent_event(intent_id), now - 360)
    elif spoil == "six minutes ahead":
        body, headers = signed(intent_event(intent_id), now + 360)
    elif spoil == "no signature":
        headers.pop("Stripe-Signature")
    elif spoil == "not json":
        body, headers = b"not json", signed_raw(b"not json", now)
    response = await client.post(WEBHOOK, content=body, headers=headers)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert await counts(app) == before
    assert await scalar(app, "SELECT status FROM orders WHERE id = %s", made["id"]) == "awaiting_payment"


def signed_raw(body: bytes, timestamp: int) -> dict[str, str]:
    return {"Stripe-Signature": signature_header(body, WEBHOOK_SECRET, timestamp)}


async def test_five_minutes_old_is_still_accepted(
    app: FastAPI, client: httpx.AsyncClient, clock: FrozenClock, on_sale: dict[str, Any]
) -> None:
    _made, intent_id = await paid_at_stripe(app, client, on_sale)
    response = await deliver(client, intent_event(intent_id), int(clock().timestamp()) - 299)
    assert response.status_code == 200 and response.json()["outcome"] == "paid"


async def test_one_webhook_100_times_in_a_row_and_20_at_once_makes_one_paid_order(
    app: FastAPI, client: httpx.AsyncClient, clock: FrozenClock, on_sale: dict[str, Any]
) -> None:
    _made, intent_id = await paid_at_stripe(app, client, on_sale, quantity=2)
    now = int(clock().timestamp())
    first = intent_event(intent_id)
    outcomes = [(await deliver(client, first, now)).json()["outcome"] for _ in range(100)]
    assert outcomes[0] == "paid" and set(outcomes[1:]) == {"duplicate"}

    # Another copy of the same payment's event (Stripe may send a new event id), 20 at once.
    second = intent_event(intent_id)
    answers = await asyncio.gather(*(deliver(client, second, now) for _ in range(20)))
    assert {a.status_code for a in answers} == {200}
    assert sorted(a.json()["outcome"] for a in answers).count("paid") <= 1  # already paid: no second sale
    assert await counts(app) == {"stripe_events": 2, "payment_refunds": 0, "tickets": 2, "paid": 1}
    assert await scalar(app, "SELECT sold FROM ticket_tiers WHERE id = %s", on_sale["tier_id"]) == 2


async def test_twenty_copies_of_a_new_event_at_once_act_once(
    app: FastAPI, client: httpx.AsyncClient, clock: FrozenClock, on_sale: dict[str, Any]
) -> None:
    _made, intent_id = await paid_at_stripe(app, client, on_sale, quantity=3)
    same = intent_event(intent_id)
    answers = await asyncio.gather(*(deliver(client, same, int(clock().timestamp())) for _ in range(20)))
    outcomes = sorted(a.json()["outcome"] for a in answers)
    assert outcomes.count("paid") == 1 and outcomes.count("duplicate") == 19
    assert await counts(app) == {"stripe_events": 1, "payment_refunds": 0, "tickets": 3, "paid": 1}


async def test_the_payload_is_not_believed(
    app: FastAPI, client: httpx.AsyncClient, clock: FrozenClock, on_sale: dict[str, Any]
) -> None:
    """A signed "succeeded" for an intent that nobody paid: Stripe, asked again, says otherwise."""
    [buyer] = await people(app, 1)
    made = await order(client, buyer, on_sale["event_id"], on_sale["tier_id"])
    intent_id = await intent_of(app, made["id"])
    response = await deliver(client, intent_event(intent_id), int(clock().timestamp()))
    assert response.json()["outcome"] == "unchanged"
    assert await scalar(app, "SELECT status FROM orders WHERE id = %s", made["id"]) == "awaiting_payment"


async def final_state(app: FastAPI) -> list[tuple[str, int]]:
    async with app.state.pool.connection() as conn:
        cur = await conn.execute(
            "SELECT o.payment_intent_id, o.status, "
            "(SELECT count(*) FROM tickets t WHERE t.cell = o.cell AND t.order_id = o.id AND t.status = 'valid') "
            "AS tickets "
            "FROM orders o ORDER BY o.payment_intent_id"
        )
        return [(row["status"], row["tickets"]) for row in await cur.fetchall()]


async def test_shuffled_webhooks_reach_the_state_of_ordered_ones(
    app: FastAPI, client: httpx.AsyncClient, clock: FrozenClock, on_sale: dict[str, Any]
) -> None:
    """Three orders: paid; declined; never paid. Their events in order, then shuffled many times:
    a payment_failed that arrives after the success, a forged success of the unpaid one, the decline."""
    buyers = await people(app, 3)
    orders = [await order(client, b, on_sale["event_id"], on_sale["tier_id"]) for b in buyers]
    intents = [await intent_of(app, o["id"]) for o in orders]
    assert await pay(app, intents[0]) == "succeeded"
    assert await pay(app, intents[1], "pm_card_chargeCustomerFail") == "requires_payment_method"
    events = [
        intent_event(intents[0]),
        intent_event(intents[0], "payment_intent.payment_failed", "requires_payment_method"),  # stale news
        intent_event(intents[1], "payment_intent.payment_failed", "requires_payment_method"),
        intent_event(intents[1]),  # forged: the card was declined
        intent_event(intents[2]),  # forged: intent 2 was never paid
    ]
    now = int(clock().timestamp())
    for e in events:
        assert (await deliver(client, e, now)).status_code == 200
    expected = await final_state(app)
    assert sorted(expected) == sorted([("paid", 1), ("awaiting_payment", 0), ("awaiting_payment", 0)])
    rng = random.Random(20)
    for _ in range(5):
        shuffled = [dict(e, id=f"{e['id']}_{rng.random()}") for e in events]  # new deliveries
        rng.shuffle(shuffled)
        for e in shuffled:
            assert (await deliver(client, e, now)).status_code == 200
        assert await final_state(app) == expected
    assert await scalar(app, "SELECT sold FROM ticket_tiers WHERE id = %s", on_sale["tier_id"]) == 1


async def test_a_payment_after_the_hold_ended_with_no_place_left_is_refunded_once(
    app: FastAPI, client: httpx.AsyncClient, team: dict[str, Person], clock: FrozenClock
) -> None:
    org = await organizer(app, team)
    event_id = await event(app, org)
    last = await tier(client, team["editor"], event_id, quota=1)
    late, early = await people(app, 2)
    held = await order(client, late, event_id, last["id"])
    intent_id = await intent_of(app, held["id"])
    clock.advance(app.state.ticketing.settings.ticketing.hold_minutes * 60 + 1)
    async with app.state.pool.connection() as conn, conn.transaction():  # the sweeper frees the lapsed hold
        assert await ticketing.sweep_lapsed_holds(conn, app.state.ticketing.settings.ticketing, clock) == 1
    taken = await order(client, early, event_id, last["id"])  # the lapsed hold's place, sold to another
    assert await pay(app, await intent_of(app, taken["id"])) == "succeeded"
    assert (await deliver(client, intent_event(await intent_of(app, taken["id"])), int(clock().timestamp()))).json()[
        "outcome"
    ] == "paid"

    assert await pay(app, intent_id) == "succeeded"  # the late buyer's card is charged anyway
    event_body = intent_event(intent_id)
    answers = [await deliver(client, event_body, int(clock().timestamp())) for _ in range(3)]
    assert [a.json()["outcome"] for a in answers] == ["refund_owed", "duplicate", "duplicate"]
    async with app.state.pool.connection() as conn:
        cur = await conn.execute("SELECT status, flagged, refund_id FROM orders WHERE id = %s", (held["id"],))
        row = await cur.fetchone()
    assert row is not None and row["status"] == "refunded" and row["flagged"] and row["refund_id"].startswith("re_")
    # The job finds nothing more to do, and Stripe holds exactly one refund of the intent.
    assert await service.execute_refunds(app.state.payments.open_work, app.state.payments.gateway, clock, 10) == 0
    refunds = await app.state.payments.gateway.refunds_of(intent_id)
    assert [r.id for r in refunds] == [row["refund_id"]]
    assert await scalar(app, "SELECT count(*) AS n FROM tickets WHERE order_id = %s", held["id"]) == 0
    assert await scalar(app, "SELECT sold FROM ticket_tiers WHERE id = %s", last["id"]) == 1

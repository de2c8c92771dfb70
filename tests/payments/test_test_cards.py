"""The buy page's offline path: its config, and paying an order with a Stripe test card at localstripe."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.accounts.helpers import FrozenClock
from tests.payments.helpers import deliver, intent_event, intent_of, order
from tests.ticketing.helpers import Person, event, organizer, people, tier


@pytest.fixture
async def on_sale(app: FastAPI, client: httpx.AsyncClient, team: dict[str, Person]) -> dict[str, Any]:
    event_id = await event(app, await organizer(app, team))
    standard = await tier(client, team["editor"], event_id, quota=5)
    return {"event_id": event_id, "tier_id": standard["id"]}


async def test_the_config_names_the_test_card_form_for_localstripe(client: httpx.AsyncClient) -> None:
    answer = await client.get("/api/v1/payments/config")
    assert answer.status_code == 200
    assert answer.json() == {"mode": "test-cards", "publishable_key": None}


async def test_a_test_card_pays_and_the_webhook_settles(
    app: FastAPI, client: httpx.AsyncClient, on_sale: dict[str, Any], clock: FrozenClock
) -> None:
    [buyer, other] = await people(app, 2)
    placed = await order(client, buyer, on_sale["event_id"], on_sale["tier_id"])
    url = f"/api/v1/orders/{placed['id']}/test-payment"
    assert (await client.post(url, json={"payment_method": "pm_card_visa"}, headers=other.headers)).status_code == 404
    paid = await client.post(url, json={"payment_method": "pm_card_visa"}, headers=buyer.headers)
    assert paid.status_code == 200, paid.text
    assert paid.json() == {"status": "succeeded", "decline": None}
    intent_id = await intent_of(app, placed["id"])
    assert (await deliver(client, intent_event(intent_id), int(clock().timestamp()))).json()["outcome"] == "paid"
    again = await client.post(url, json={"payment_method": "pm_card_visa"}, headers=buyer.headers)
    assert again.status_code == 409


async def test_a_declined_card_is_an_answer_and_the_order_is_placed_again(
    app: FastAPI, client: httpx.AsyncClient, on_sale: dict[str, Any]
) -> None:
    [buyer] = await people(app, 1)
    placed = await order(client, buyer, on_sale["event_id"], on_sale["tier_id"])
    url = f"/api/v1/orders/{placed['id']}/test-payment"
    declined = await client.post(url, json={"payment_method": "pm_card_chargeCustomerFail"}, headers=buyer.headers)
    assert declined.status_code == 200, declined.text
    assert declined.json()["status"] == "requires_payment_method"
    assert declined.json()["decline"]
    # localstripe cannot confirm an intent again after a decline: the buyer places the order again
    again = await client.post(url, json={"payment_method": "pm_card_visa"}, headers=buyer.headers)
    assert again.status_code == 409, again.text
    assert (await client.post(f"/api/v1/orders/{placed['id']}/cancel", headers=buyer.headers)).status_code == 200
    placed = await order(client, buyer, on_sale["event_id"], on_sale["tier_id"])
    paid = await client.post(
        f"/api/v1/orders/{placed['id']}/test-payment", json={"payment_method": "pm_card_visa"}, headers=buyer.headers
    )
    assert paid.json()["status"] == "succeeded"


async def test_only_known_test_cards_are_taken(
    client: httpx.AsyncClient, on_sale: dict[str, Any], app: FastAPI
) -> None:
    [buyer] = await people(app, 1)
    placed = await order(client, buyer, on_sale["event_id"], on_sale["tier_id"])
    url = f"/api/v1/orders/{placed['id']}/test-payment"
    for body in ({"payment_method": "pm_card_amex"}, {"payment_method": "pm_card_visa", "amount": 1}):
        assert (await client.post(url, json=body, headers=buyer.headers)).status_code == 422

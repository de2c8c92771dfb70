"""Buying through the real endpoints and paying at localstripe; Stripe's webhooks signed as Stripe signs them."""

from __future__ import annotations

import json
import uuid
from typing import Any
from uuid import UUID

import httpx
from fastapi import FastAPI

from app.payments.gateway import StripeGateway
from app.payments.webhooks import signature_header
from tests.fixtures.localstripe import WEBHOOK_SECRET
from tests.ticketing.helpers import Person, scalar

WEBHOOK = "/api/v1/payments/stripe/webhook"


async def order(
    client: httpx.AsyncClient, buyer: Person, event_id: UUID, tier_id: str, quantity: int = 1
) -> dict[str, Any]:
    body = {"event_id": str(event_id), "items": [{"tier_id": tier_id, "quantity": quantity}]}
    response = await client.post("/api/v1/orders", json=body, headers=buyer.headers)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def intent_of(app: FastAPI, order_id: str) -> str:
    return str(await scalar(app, "SELECT payment_intent_id FROM orders WHERE id = %s", UUID(order_id)))


async def pay(app: FastAPI, intent_id: str, card: str = "pm_card_visa") -> str:
    """What the buyer's browser does with Stripe.js: attach a card and confirm (at localstripe)."""
    return await pay_with(app.state.payments.gateway, intent_id, card)


async def pay_with(gateway: StripeGateway, intent_id: str, card: str = "pm_card_visa") -> str:
    await gateway.client.v1.payment_intents.update_async(intent_id, {"payment_method": card})
    try:
        intent = await gateway.client.v1.payment_intents.confirm_async(intent_id)
    except Exception:  # a declined card: the intent goes back to requires_payment_method
        intent = await gateway.client.v1.payment_intents.retrieve_async(intent_id)
    return str(intent.status)


def signed(event: dict[str, Any], timestamp: int, secret: str = WEBHOOK_SECRET) -> tuple[bytes, dict[str, str]]:
    """The body and headers Stripe sends: ``Stripe-Signature: t=..,v1=HMAC-SHA256(secret, "t.body")``."""
    body = json.dumps(event, indent=2, sort_keys=True).encode()
    return body, {"Stripe-Signature": signature_header(body, secret, timestamp), "Content-Type": "application/json"}


def intent_event(intent_id: str, kind: str = "payment_intent.succeeded", status: str = "succeeded") -> dict[str, Any]:
    """A payment_intent.* event as Stripe shapes it (its copy of the intent is not believed)."""
    return {
        "id": f"evt_{uuid.uuid4().hex[:16]}",
        "object": "event",
        "type": kind,
        "created": 0,
        "data": {"object": {"id": intent_id, "object": "payment_intent", "status": status}},
    }


async def deliver(client: httpx.AsyncClient, event: dict[str, Any], timestamp: int, **kwargs: Any) -> httpx.Response:
    body, headers = signed(event, timestamp, **kwargs)
    return await client.post(WEBHOOK, content=body, headers=headers)


async def counts(app: FastAPI) -> dict[str, int]:
    """Rows that a webhook or a refund could write."""
    found = {}
    for table in ("stripe_events", "payment_refunds", "tickets"):
        found[table] = int(await scalar(app, f"SELECT count(*) AS n FROM {table}"))
    found["paid"] = int(await scalar(app, "SELECT count(*) AS n FROM orders WHERE status = 'paid'"))
    return found

"""The whole offline flow over sockets: a server process, localstripe delivering its own signed webhook.

What ``make run`` sets up without Stripe keys: localstripe with our webhook registered through its
``/_config/webhooks`` API; the buyer pays at localstripe, localstripe signs and posts
``payment_intent.succeeded`` (about a second later) and the order becomes paid with its tickets.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from uuid import UUID

import httpx
from fastapi import FastAPI

from app.kit.clock import utc_now
from app.payments.gateway import StripeGateway
from tests.accounts.helpers import TEST_SIGNING_KEY
from tests.e2e.harness import stop_process
from tests.fixtures.localstripe import SECRET_KEY, WEBHOOK_SECRET, LocalStripe, start_localstripe
from tests.payments.helpers import pay_with
from tests.ticketing.helpers import Person, event, organizer, people, scalar, tier
from tests.web.serving import serve


async def test_localstripe_delivers_a_signed_webhook_that_pays_the_order(
    app: FastAPI, client: httpx.AsyncClient, team: dict[str, Person], database_url: str, tmp_path: Path
) -> None:
    process, url = start_localstripe()  # its own: the webhook registered here is for this server only
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "index.html").write_text("<!doctype html><title>t</title>")
    env = {
        "HAPPENINGS_AUTH__JWT_PRIVATE_KEY": TEST_SIGNING_KEY,
        "HAPPENINGS_PAYMENTS__SECRET_KEY": SECRET_KEY,
        "HAPPENINGS_PAYMENTS__WEBHOOK_SECRET": WEBHOOK_SECRET,
        "HAPPENINGS_PAYMENTS__API_BASE": url,
    }
    try:
        with serve(database_url, dist, **env) as served:
            LocalStripe(url).register_webhook("happenings", f"{served.url}/api/v1/payments/stripe/webhook")
            org = await organizer(app, team)
            event_id = await event(app, org)
            standard = await tier(client, team["editor"], event_id, quota=5)
            app.state.accounts.clock = utc_now  # the server process checks the token against the real time
            [buyer] = await people(app, 1)
            body = {"event_id": str(event_id), "items": [{"tier_id": standard["id"], "quantity": 2}]}
            async with httpx.AsyncClient(base_url=served.url, timeout=10) as http:
                made = await http.post("/api/v1/orders", json=body, headers=buyer.headers)
                assert made.status_code == 201, made.text
                order_id = UUID(made.json()["id"])
                assert made.json()["payment"]["client_secret"].startswith("pi_")
                intent_id = made.json()["payment"]["client_secret"].split("_secret_")[0]
                assert await pay_at(url, intent_id) == "succeeded"
                deadline = time.monotonic() + 15
                while await scalar(app, "SELECT status FROM orders WHERE id = %s", order_id) != "paid":
                    assert time.monotonic() < deadline, "localstripe's webhook did not pay the order"
                    await asyncio.sleep(0.2)
            assert await scalar(app, "SELECT count(*) AS n FROM tickets WHERE order_id = %s", order_id) == 2
            assert await scalar(app, "SELECT type FROM stripe_events") == "payment_intent.succeeded"
    finally:
        stop_process(process)


async def pay_at(url: str, intent_id: str) -> str:
    gateway = StripeGateway(LocalStripe(url).settings())
    try:
        return await pay_with(gateway, intent_id)
    finally:
        await gateway.aclose()

"""PostgreSQL killed in the middle of 100 concurrent purchases, then started again: every payment
that succeeded at Stripe ends with exactly its tickets or its refund; no order lost or doubled.

Each buyer does what a client does: ``POST /orders`` with an ``Idempotency-Key`` (sent again on a
503), pays at localstripe, and Stripe's webhook is delivered once (localstripe never retries: a
webhook answered 503 while the database is down is lost). After the restart the reconciliation job
settles what the lost webhooks did not, and the refunds job makes the refunds owed.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from app.kit.clock import utc_now
from app.main import create_app
from app.migrations_state import upgrade
from app.payments import service
from config.settings import DatabaseSettings
from tests.accounts.helpers import with_cheap_auth
from tests.conftest import make_settings
from tests.fixtures.localstripe import LocalStripe
from tests.fixtures.private_servers import PrivatePostgres, private_postgres
from tests.payments.helpers import deliver, intent_event, pay
from tests.resilience.load import serving
from tests.ticketing.helpers import Person, event, organizer, people, scalar, tier

pytestmark = pytest.mark.outage
__all__ = ["private_postgres"]  # the fixture

BUYERS = 100
QUOTA = 60  # fewer places than buyers: some are sold out, none oversold
RETRIES, RETRY_EVERY_S = 60, 0.25


@dataclass
class Purchase:
    buyer: Person
    quantity: int
    key: str = field(default_factory=lambda: uuid.uuid4().hex)
    order_id: str | None = None
    intent_id: str | None = None
    paid: bool = False
    statuses: list[int] = field(default_factory=list)


async def purchase(client: httpx.AsyncClient, app: FastAPI, p: Purchase, event_id: str, tier_id: str) -> None:
    body = {"event_id": event_id, "items": [{"tier_id": tier_id, "quantity": p.quantity}]}
    headers = {**p.buyer.headers, "Idempotency-Key": p.key}
    for _ in range(RETRIES):
        answer = await client.post("/api/v1/orders", json=body, headers=headers)
        p.statuses.append(answer.status_code)
        if answer.status_code == 201:
            p.order_id = answer.json()["id"]
            p.intent_id = answer.json()["payment"]["client_secret"].split("_secret_")[0]
            break
        if answer.status_code != 503:
            return  # sold out
        await asyncio.sleep(RETRY_EVERY_S)
    else:
        return
    p.paid = await pay(app, p.intent_id) == "succeeded"
    if p.paid:  # Stripe's one delivery; lost when it finds the database down
        answer = await deliver(client, intent_event(p.intent_id), int(utc_now().timestamp()))
        p.statuses.append(answer.status_code)


def prepare(server: PrivatePostgres) -> str:
    url = server.create_database("happenings")
    upgrade(url.replace("postgresql://", "postgresql+psycopg://", 1))
    return url


async def test_a_database_crash_mid_purchase_loses_and_doubles_nothing(
    private_postgres: PrivatePostgres, redis_prefix: str, localstripe: LocalStripe
) -> None:
    url = await asyncio.to_thread(prepare, private_postgres)
    settings = with_cheap_auth(make_settings(url, redis_prefix)).model_copy(
        update={
            "database": DatabaseSettings(url=url, pool_min=2, pool_max=20),
            "payments": localstripe.settings(webhook_secret=SecretStr("whsec_test_localstripe")),
        }
    )
    app = create_app(settings)
    async with serving(app) as client:
        team = await people(app, 1, prefix="team")
        org = await organizer(app, {"owner": team[0]})
        event_id = await event(app, org)
        standard = await tier(client, team[0], event_id, quota=QUOTA)
        rng = random.Random(3)
        purchases = [Purchase(b, rng.choice((1, 1, 2))) for b in await people(app, BUYERS)]
        running = [asyncio.create_task(purchase(client, app, p, str(event_id), standard["id"])) for p in purchases]
        await asyncio.sleep(0.4)
        await asyncio.to_thread(private_postgres.stop_immediately)
        await asyncio.sleep(2.0)
        await asyncio.to_thread(private_postgres.start)
        await asyncio.gather(*running)

        # The jobs after the restart, as the worker runs them (the clock past reconcile_after_s).
        payments = app.state.payments

        def later():
            return utc_now() + timedelta(seconds=payments.settings.reconcile_after_s + 1)

        for _ in range(3):
            await service.reconcile(payments.open_work, payments.gateway, payments.settings, later, timedelta(hours=1))
            await service.execute_refunds(payments.open_work, payments.gateway, later, 200)

        assert not [p.statuses for p in purchases if 500 in p.statuses]
        paid = [p for p in purchases if p.paid]
        assert any(503 in p.statuses for p in purchases), "the crash came after every purchase"
        assert paid, "nobody paid"
        sold, refunded = 0, 0
        for p in paid:
            order_id = uuid.UUID(p.order_id)  # type: ignore[arg-type]
            status = await scalar(app, "SELECT status FROM orders WHERE id = %s", order_id)
            tickets = await scalar(
                app, "SELECT count(*) AS n FROM tickets WHERE order_id = %s AND status = 'valid'", order_id
            )
            if status == "paid":
                assert tickets == p.quantity, (p, tickets)
                sold += tickets
            else:
                assert status == "refunded" and tickets == 0, (p, status)
                refunded += 1
                assert len(await payments.gateway.refunds_of(p.intent_id)) == 1
        # One order per buyer (the Idempotency-Key), every ticket belongs to a paid order, none beyond the quota.
        orders_per_buyer = await scalar(
            app, "SELECT coalesce(max(n), 0) AS m FROM (SELECT count(*) AS n FROM orders GROUP BY account_id) c"
        )
        assert orders_per_buyer == 1
        assert await scalar(app, "SELECT count(*) AS n FROM tickets WHERE status = 'valid'") == sold <= QUOTA
        lost = sum(1 for p in paid if p.statuses[-1] == 503)
        print(f"{len(paid)} paid of {BUYERS}: {sold} tickets, {refunded} refunded; {lost} webhooks lost and "
              f"settled by reconciliation; {sum(p.statuses.count(503) for p in purchases)} answers 503")  # fmt: skip

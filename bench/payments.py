"""Payments benchmark: order creation over HTTP against localstripe, and webhook handling.

``python -m bench --only payments`` (or ``python -m bench.payments [--orders N] [--concurrency C]``).
On a database of its own (``happenings_bench_payments``, migrated and emptied first), the service
runs as users run it (uvicorn over real HTTP, ``bench.server``) with the SDK pointed at a
localstripe of its own (``app.payments.localstripe_server``). Measured:

- ``POST /orders`` end to end: the hold's transaction, the PaymentIntent created at localstripe
  (outside any lock), the intent's transaction; ``concurrency`` buyers at once, each order its own.
- ``POST /payments/stripe/webhook`` for each paid order: the signature checked, the intent fetched
  again from localstripe, the event recorded and the order settled with its tickets, in one
  transaction; then the same events delivered again (duplicates: recorded already, nothing done).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import httpx
import psycopg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from psycopg import sql
from pydantic import SecretStr

from app.accounts.tokens import AccessTokens, private_key_pem
from app.events import derived
from app.migrations_state import upgrade
from app.payments.gateway import StripeGateway
from app.payments.localstripe_server import spawn
from app.payments.webhooks import signature_header
from bench.dataset import server_url
from bench.server import run_service
from bench.stats import Summary, markdown_table, ms
from config.settings import AuthSettings, PaymentsSettings
from geo.cells import cell_of

DATABASE = "happenings_bench_payments"
ORDERS = 300
CONCURRENCY = 10
SECRET_KEY, WEBHOOK_SECRET = "sk_test_bench", "whsec_bench"


def prepare() -> str:
    admin_url = f"{server_url()}/postgres"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DATABASE)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE)))
    url = f"{server_url()}/{DATABASE}"
    upgrade(url.replace("postgresql://", "postgresql+psycopg://", 1))
    return url


def world(url: str, buyers: int, tokens: AccessTokens) -> tuple[uuid.UUID, uuid.UUID, list[str]]:
    """An event with one tier (quota far above the run) and ``buyers`` verified accounts with tokens."""
    now = datetime.now(UTC)
    starts, cell = now + timedelta(days=30), cell_of(48.85, 2.35)
    with psycopg.connect(url, autocommit=True) as conn:
        org = conn.execute("INSERT INTO organizers (name) VALUES ('Bench') RETURNING id").fetchone()[0]  # type: ignore[index]
        event = conn.execute(
            "INSERT INTO events (cell, organizer_id, category, title, starts_at, ends_at, timezone, status, geom) "
            "VALUES (%s, %s, 'music', 'On-sale', %s, %s, 'UTC', 'published', "
            "ST_SetSRID(ST_MakePoint(2.35, 48.85), 4326)) RETURNING id",
            (cell, org, starts, starts + timedelta(hours=3)),
        ).fetchone()[0]  # type: ignore[index]
        conn.execute(derived.REBUILD)  # its postings and rollup rows (a database of its own: one event)
        conn.execute("INSERT INTO event_places (cell, event_id) VALUES (%s, %s) ON CONFLICT DO NOTHING", (cell, event))
        tier = conn.execute(
            "INSERT INTO ticket_tiers (cell, event_id, name, price, currency, quota, max_per_order, created_at, "
            "updated_at) VALUES (%s, %s, 'GA', 2500, 'EUR', 10000000, 10, %s, %s) RETURNING id",
            (cell, event, now, now),
        ).fetchone()[0]  # type: ignore[index]
        people = []
        for i in range(buyers):
            account = conn.execute(
                "INSERT INTO accounts (email, email_verified_at) VALUES (%s, %s) RETURNING id",
                (f"buyer-{i}@bench.example.com", now),
            ).fetchone()[0]  # type: ignore[index]
            session = conn.execute(
                "INSERT INTO auth_sessions (account_id, created_at, expires_at) VALUES (%s, %s, %s) RETURNING id",
                (account, now, now + timedelta(days=1)),
            ).fetchone()[0]  # type: ignore[index]
            people.append(tokens.issue(account, session, now))
    return event, tier, people


async def create_orders(base: str, event: uuid.UUID, tier: uuid.UUID, people: list[str], concurrency: int):
    latencies: list[float] = []
    intents: list[str] = []
    queue = list(people)

    async def buyer(http: httpx.AsyncClient) -> None:
        while queue:
            token = queue.pop()
            body = {"event_id": str(event), "items": [{"tier_id": str(tier), "quantity": 1}]}
            headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex}
            began = time.perf_counter()
            answer = await http.post("/api/v1/orders", json=body, headers=headers)
            latencies.append(time.perf_counter() - began)
            assert answer.status_code == 201, answer.text
            intents.append(answer.json()["payment"]["client_secret"].split("_secret_")[0])

    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        started = time.monotonic()
        await asyncio.gather(*(buyer(http) for _ in range(concurrency)))
        elapsed = time.monotonic() - started
    return latencies, intents, len(latencies) / elapsed


async def pay_all(gateway: StripeGateway, intents: list[str]) -> None:
    for intent in intents:
        await gateway.client.v1.payment_intents.update_async(intent, {"payment_method": "pm_card_visa"})
        await gateway.client.v1.payment_intents.confirm_async(intent)


def webhook(intent: str) -> tuple[bytes, dict[str, str]]:
    event = {
        "id": f"evt_{uuid.uuid4().hex[:20]}", "object": "event", "type": "payment_intent.succeeded", "created": 0,
        "data": {"object": {"id": intent, "object": "payment_intent"}},
    }  # fmt: skip
    body = json.dumps(event).encode()
    header = signature_header(body, WEBHOOK_SECRET, int(time.time()))
    return body, {"Stripe-Signature": header, "Content-Type": "application/json"}


async def deliver_all(base: str, deliveries: list[tuple[bytes, dict[str, str]]], concurrency: int):
    latencies: list[float] = []
    outcomes: dict[str, int] = {}
    queue = list(deliveries)

    async def sender(http: httpx.AsyncClient) -> None:
        while queue:
            body, headers = queue.pop()
            began = time.perf_counter()
            answer = await http.post("/api/v1/payments/stripe/webhook", content=body, headers=headers)
            latencies.append(time.perf_counter() - began)
            assert answer.status_code == 200, answer.text
            outcome = answer.json()["outcome"]
            outcomes[outcome] = outcomes.get(outcome, 0) + 1

    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        await asyncio.gather(*(sender(http) for _ in range(concurrency)))
    return latencies, outcomes


def run(sizes: Sequence[int] = (), seed: int = 42, orders: int = ORDERS, concurrency: int = CONCURRENCY) -> str:
    url = prepare()
    key = private_key_pem(Ed25519PrivateKey.generate()).decode()
    tokens = AccessTokens.from_settings(AuthSettings(jwt_private_key=SecretStr(key)))
    event, tier, people = world(url, orders, tokens)
    process, stripe_url = spawn()
    env = {
        "HAPPENINGS_LOG_LEVEL": "WARNING",
        "HAPPENINGS_AUTH__JWT_PRIVATE_KEY": key,
        "HAPPENINGS_PAYMENTS__SECRET_KEY": SECRET_KEY,
        "HAPPENINGS_PAYMENTS__WEBHOOK_SECRET": WEBHOOK_SECRET,
        "HAPPENINGS_PAYMENTS__API_BASE": stripe_url,
    }
    gateway = StripeGateway(PaymentsSettings(secret_key=SecretStr(SECRET_KEY), api_base=stripe_url))
    try:
        with run_service(url, env=env) as base:
            created, intents, rate = asyncio.run(create_orders(base, event, tier, people, concurrency))
            asyncio.run(pay_all(gateway, intents))
            first = [webhook(intent) for intent in intents]
            handled, outcomes = asyncio.run(deliver_all(base, first, concurrency))
            again, repeated = asyncio.run(deliver_all(base, first, concurrency))
    finally:
        process.terminate()
        process.wait(timeout=10)
    with psycopg.connect(url) as conn:
        paid = conn.execute("SELECT count(*) FROM orders WHERE status = 'paid'").fetchone()[0]  # type: ignore[index]
        tickets = conn.execute("SELECT count(*) FROM tickets").fetchone()[0]  # type: ignore[index]
    rows = []
    for name, values in (
        (f"POST /orders ({concurrency} at once, localstripe)", created),
        ("webhook, first delivery (re-fetch + settle)", handled),
        ("webhook, duplicate delivery", again),
    ):
        s = Summary.of(values)
        rows.append([name, str(s.n), ms(s.p50), ms(s.p95), ms(s.p99)])
    table = markdown_table(["what", "n", "p50", "p95", "p99"], rows)
    report = (
        f"{table}\n\nOrders created: {rate:,.0f}/s over HTTP with {concurrency} buyers at once. "
        f"Outcomes: first {outcomes}, again {repeated}; {paid} paid orders, {tickets} tickets "
        f"({'ok' if paid == tickets == len(intents) else 'MISMATCH'}).\n"
    )
    print(report, flush=True)
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.payments")
    parser.add_argument("--orders", type=int, default=ORDERS)
    parser.add_argument("--concurrency", type=int, default=CONCURRENCY)
    args = parser.parse_args(argv)
    run(orders=args.orders, concurrency=args.concurrency)
    return 0


if __name__ == "__main__":
    sys.exit(main())

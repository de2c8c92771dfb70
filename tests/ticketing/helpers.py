"""A world for ticketing tests: an organizer with its team, published events, people with tokens.

People are made straight in the database with a session and an access token issued by the app's
own token signer (signing up 200 buyers through argon2 and the outbox would take the whole test);
what the tests exercise — the ticketing endpoints and their transactions — runs for real.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar
from uuid import UUID

import httpx
from fastapi import FastAPI

from app.events import derived
from app.events import repository as events_repository
from app.ticketing import service
from app.ticketing.service import LineItem
from geo.cells import cell_of
from tests.accounts.helpers import EPOCH

PARIS = (48.8566, 2.3522)


@dataclass(frozen=True, slots=True)
class Person:
    account_id: UUID
    email: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def people(app: FastAPI, count: int, *, prefix: str = "buyer") -> list[Person]:
    """``count`` verified accounts, each with an open session and an access token."""
    now = app.state.accounts.clock()
    emails = [f"{prefix}-{uuid.uuid4().hex[:10]}@example.com" for _ in range(count)]
    async with app.state.pool.connection() as conn:
        # Two statements: on Citus `accounts` is a reference table, which a CTE that inserts cannot feed
        # to a later statement's subquery.
        cur = await conn.execute(
            "INSERT INTO accounts (email, email_verified_at) SELECT e, %s FROM unnest(%s::text[]) e "
            "RETURNING id, email",
            (now, emails),
        )
        accounts = {row["id"]: row["email"] for row in await cur.fetchall()}
        cur = await conn.execute(
            "INSERT INTO auth_sessions (account_id, created_at, expires_at) SELECT a, %s, %s FROM unnest(%s::uuid[]) a "
            "RETURNING id, account_id",
            (now, now + timedelta(days=30), list(accounts)),
        )
        rows = await cur.fetchall()
    by_email = {accounts[row["account_id"]]: row for row in rows}
    access = app.state.accounts.access
    return [
        Person(by_email[e]["account_id"], e, access.issue(by_email[e]["account_id"], by_email[e]["id"], now))
        for e in emails
    ]


async def organizer(app: FastAPI, members: dict[str, Person]) -> UUID:
    """An organizer whose team is ``members`` (role → person)."""
    now = app.state.accounts.clock()
    async with app.state.pool.connection() as conn:
        cur = await conn.execute("INSERT INTO organizers (name) VALUES ('Night Owls') RETURNING id")
        org = (await cur.fetchone())["id"]  # type: ignore[index]
        for role, person in members.items():
            await conn.execute(
                "INSERT INTO organizer_members (organizer_id, account_id, role, joined_at, updated_at) "
                "VALUES (%s, %s, %s, %s, %s)",
                (org, person.account_id, role, now, now),
            )
    return UUID(str(org))


async def event(app: FastAPI, organizer_id: UUID, *, capacity: int | None = None, status: str = "published") -> UUID:
    """An event a day after the pinned clock's instant."""
    lat, lon = PARIS
    starts = EPOCH + timedelta(days=1)
    async with app.state.pool.connection() as conn:
        cur = await conn.execute(
            "INSERT INTO events (cell, organizer_id, category, title, starts_at, ends_at, timezone, status, "
            "capacity, geom) VALUES (%s, %s, 'music', 'Jazz on the roof', %s, %s, 'Europe/Paris', %s, %s, "
            "ST_SetSRID(ST_MakePoint(%s, %s), 4326)) RETURNING cell, id",
            (cell_of(lat, lon), organizer_id, starts, starts + timedelta(hours=3), status, capacity, lon, lat),
        )
        row = await cur.fetchone()
        assert row is not None
        await derived.record(conn, [(row["cell"], row["id"])])
        await events_repository.place(conn, row["id"], row["cell"])  # the id -> cell locator, as writes keep it
        return UUID(str(row["id"]))


async def tier(client: httpx.AsyncClient, editor: Person, event_id: UUID, **fields: Any) -> dict[str, Any]:
    body = {"name": "Standard", "price": 2500, "currency": "EUR", **fields}
    response = await client.post(f"/api/v1/events/{event_id}/tiers", json=body, headers=editor.headers)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def scalar(app: FastAPI, query: str, *params: Any) -> Any:
    async with app.state.pool.connection() as conn:
        cur = await conn.execute(query, params)
        row = await cur.fetchone()
        assert row is not None
        return next(iter(row.values()))


@dataclass(frozen=True)
class Intent:
    """A PaymentIntent as the gateway would re-fetch it (``app.payments.gateway.IntentState``'s fields)."""

    id: str
    status: str
    amount: int
    currency: str
    order_id: UUID | None = None


async def hold(app: FastAPI, buyer: Person, event_id: UUID, tier_id: str, quantity: int = 1) -> dict[str, object]:
    """Transaction 1 of an order (the hold), as ``POST /orders`` runs it before calling the gateway."""
    settings, clock = app.state.ticketing.settings.ticketing, app.state.ticketing.clock
    async with app.state.pool.connection() as conn, conn.transaction():
        placed = await service.place_order(
            conn,
            account_id=buyer.account_id,
            event_id=event_id,
            items=[LineItem(UUID(tier_id), quantity)],
            idempotency_key=None,
            settings=settings,
            clock=clock,
        )
    return placed.order
E = TypeVar("E")


def heard(app: FastAPI, event_type: type[E]) -> list[E]:
    """The events of ``event_type`` the app's after-commit listeners hear from now on, in order."""
    found: list[E] = []

    async def listener(event: E) -> None:
        found.append(event)

    app.state.after_commit.listen(event_type, listener)
    return found

"""200 people at once for the last K places (K = 1, 5, 10): exactly K get one, nobody gets a 5xx.

Over HTTP through the whole app (free tiers: the order is settled in its one transaction; RSVPs),
and at the service level for paid holds (transaction 1 of an order; the payment call comes after
the commit and holds no lock). The counters' CHECK constraints would refuse an oversell even if the
locking let one through; these tests count orders, tickets and RSVPs, so they fail when the
conditional, locked updates are replaced by a read-then-write (see the ticketing decision record).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from uuid import UUID

import httpx
import pytest
from fastapi import FastAPI

from app.ticketing import service
from app.ticketing.errors import SoldOut
from app.ticketing.service import LineItem
from config.settings import Settings
from tests.ticketing.helpers import Person, event, organizer, people, scalar, tier

BUYERS = 200
LAST = (1, 5, 10)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """These tests are about exactly k places for a crowd, not the answer to overload: 200 answers
    queue on one places row, which on a loaded 2-core test machine (or a test Citus cluster, each
    turn a few hops through the coordinator) can take longer than the product's 2 s lock timeout,
    whose 503 with Retry-After has tests of its own."""
    ticketing = settings.ticketing.model_copy(update={"lock_timeout_ms": 60_000})
    return settings.model_copy(update={"ticketing": ticketing})


@pytest.fixture
async def crowd(app: FastAPI) -> list[Person]:
    return await people(app, BUYERS + 1)


async def test_exactly_k_orders_for_the_last_k_places(
    app: FastAPI, client: httpx.AsyncClient, crowd: list[Person]
) -> None:
    editor, buyers = crowd[0], crowd[1:]
    org = await organizer(app, {"editor": editor})
    for k in LAST:
        event_id = await event(app, org, capacity=k + 50)
        # The tier's quota leaves exactly k places (as if the others were sold before the crowd came).
        free = await tier(client, editor, event_id, price=0, quota=k)
        body = {"event_id": str(event_id), "items": [{"tier_id": free["id"], "quantity": 1}]}

        async def buy(person: Person, body: dict[str, object] = body) -> int:
            return (await client.post("/api/v1/orders", json=body, headers=person.headers)).status_code

        statuses = Counter(await asyncio.gather(*(buy(p) for p in buyers)))
        assert statuses == {201: k, 409: BUYERS - k}, (k, statuses)
        assert await scalar(app, "SELECT count(*) FROM tickets WHERE event_id = %s", event_id) == k
        assert await scalar(app, "SELECT count(*) FROM orders WHERE event_id = %s", event_id) == k
        assert await scalar(app, "SELECT sold FROM ticket_tiers WHERE id = %s", free["id"]) == k


async def test_exactly_k_rsvps_going_for_the_last_k_places(
    app: FastAPI, client: httpx.AsyncClient, crowd: list[Person]
) -> None:
    org = await organizer(app, {"owner": crowd[0]})
    for k in LAST:
        event_id = await event(app, org, capacity=k)

        async def answer(person: Person, event_id: UUID = event_id) -> tuple[int, str]:
            path = f"/api/v1/events/{event_id}/rsvp"
            response = await client.put(path, json={"status": "going"}, headers=person.headers)
            return response.status_code, response.json().get("status")

        answers = Counter(await asyncio.gather(*(answer(p) for p in crowd[1:])))
        assert answers == {(200, "going"): k, (200, "waitlisted"): BUYERS - k}, (k, answers)
        valid = "SELECT count(*) FROM tickets WHERE event_id = %s AND status = 'valid'"
        assert await scalar(app, valid, event_id) == k
        assert await scalar(app, "SELECT taken FROM event_places WHERE event_id = %s", event_id) == k
        queued = "SELECT count(DISTINCT waitlist_seq) FROM rsvps WHERE event_id = %s AND status = 'waitlisted'"
        assert await scalar(app, queued, event_id) == BUYERS - k  # one queue, no shared place in it


async def test_exactly_k_paid_holds_across_tiers_under_the_event_capacity(
    app: FastAPI, client: httpx.AsyncClient, crowd: list[Person]
) -> None:
    """Two tiers with room to spare and an event capacity of k: the event-wide counter decides."""
    editor, buyers = crowd[0], crowd[1:]
    org = await organizer(app, {"editor": editor})
    settings, clock = app.state.ticketing.settings.ticketing, app.state.ticketing.clock
    for k in LAST:
        event_id = await event(app, org, capacity=k)
        tiers = [await tier(client, editor, event_id, name=name, quota=BUYERS) for name in ("Early", "Late")]

        async def hold(index: int, person: Person, event_id: UUID = event_id, tiers: list = tiers) -> str:  # type: ignore[type-arg]
            item = LineItem(UUID(tiers[index % 2]["id"]), 1)
            try:
                async with app.state.pool.connection() as conn, conn.transaction():
                    await service.place_order(
                        conn,
                        account_id=person.account_id,
                        event_id=event_id,
                        items=[item],
                        idempotency_key=None,
                        settings=settings,
                        clock=clock,
                    )
            except SoldOut:
                return "sold-out"
            return "held"

        outcomes = Counter(await asyncio.gather(*(hold(i, p) for i, p in enumerate(buyers))))
        assert outcomes == {"held": k, "sold-out": BUYERS - k}, (k, outcomes)
        held = "SELECT count(*) FROM orders WHERE event_id = %s AND status = 'awaiting_payment'"
        assert await scalar(app, held, event_id) == k
        assert await scalar(app, "SELECT sum(held) FROM ticket_tiers WHERE event_id = %s", event_id) == k
        assert await scalar(app, "SELECT taken FROM event_places WHERE event_id = %s", event_id) == k

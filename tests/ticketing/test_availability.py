"""Sold out and few left: on the map's tiles (never stale in the cache), and a raised capacity that
hands its new places to the waitlist first come, first served."""

from __future__ import annotations

import asyncio
from collections import Counter
from uuid import UUID

import httpx
import pytest
from fastapi import FastAPI

from app.db import UnitOfWork
from app.events.availability import availability
from app.events.changes import EventChange
from app.rsvps.service import WaitlistPromoted
from app.ticketing import service
from app.ticketing.availability import aspects_of_move
from app.ticketing.service import LineItem
from tests.ticketing.helpers import PARIS, Person, event, heard, organizer, people, scalar, tier
from tests.ticketing.test_waitlist import rsvp
from tests.tiles.conftest import RenderCounter, features_of
from tiles.grid import tile_of

TILE = tile_of(*PARIS, 14)


async def shown(client: httpx.AsyncClient, event_id: UUID) -> str | None:
    """The ``availability`` of the event's point on its z14 tile (None: the property is absent)."""
    points = [f["properties"] for f in await features_of(client, TILE) if f["properties"]["id"] == str(event_id)]
    assert len(points) == 1
    value = points[0].get("availability")
    return None if value is None else str(value)


def test_levels_follow_the_places_left() -> None:
    assert availability(None, 500) is None
    levels = [availability(40, taken) for taken in (0, 31, 32, 39, 40)]
    assert levels == [None, None, "few_left", "few_left", "sold_out"]
    assert [availability(200, taken) for taken in (189, 190, 200)] == [None, "few_left", "sold_out"]
    assert [availability(3, taken) for taken in (1, 2, 3)] == [None, "few_left", "sold_out"]
    assert aspects_of_move(None, None) == frozenset()
    assert aspects_of_move("few_left", "sold_out") == {"sold_out"}
    assert aspects_of_move("sold_out", "few_left") == {"available", "few_left"}
    assert aspects_of_move(None, "few_left") == {"few_left"}
    assert aspects_of_move("few_left", None) == {"available"}


async def test_the_tile_shows_the_last_place_going_and_coming_back_without_a_stale_cache(
    app: FastAPI, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    renders = RenderCounter(app, monkeypatch)
    owner, a, b = await people(app, 3)
    org = await organizer(app, {"owner": owner})
    event_id = await event(app, org, capacity=2)
    changes = heard(app, EventChange)
    assert await shown(client, event_id) is None
    assert await shown(client, event_id) is None
    assert renders.count(TILE) == 1  # the second read came from the cache

    await rsvp(client, a, event_id, "going")  # one of two left: few
    assert await shown(client, event_id) == "few_left"
    await rsvp(client, b, event_id, "going")  # the last place
    assert await shown(client, event_id) == "sold_out"
    assert await shown(client, event_id) == "sold_out"
    await rsvp(client, a, event_id, "not_going")  # a place frees up
    assert await shown(client, event_id) == "few_left"
    assert renders.count(TILE) == 4  # one render per change of level, the cache otherwise

    assert [sorted(c.aspects) for c in changes] == [["few_left"], ["sold_out"], ["available", "few_left"]]
    logged = await scalar(
        app, "SELECT array_agg(array_to_string(aspects, '+') ORDER BY id) FROM event_changes WHERE event_id = %s",
        event_id,
    )  # fmt: skip
    assert logged == ["few_left", "sold_out", "available+few_left"]


async def test_a_hold_on_the_last_ticket_and_its_release_change_the_tile(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    owner, buyer = await people(app, 2)
    org = await organizer(app, {"owner": owner})
    event_id = await event(app, org, capacity=30)
    standard = await tier(client, owner, event_id, price=2000)
    assert await shown(client, event_id) is None

    ctx = app.state.ticketing
    settings = app.state.settings.ticketing

    async def run(action: object) -> object:
        async with app.state.pool.connection() as conn:
            work = UnitOfWork(conn)
            async with conn.transaction():
                result = await action(conn)  # type: ignore[operator]
            await app.state.after_commit.dispatch(work.events)
        return result

    levels, orders = [], []
    for quantity in (10, 10, 5, 5):  # 30 places held by four orders: few left (5 of 30) before the last
        placed = await run(lambda c, q=quantity: service.place_order(
            c, account_id=buyer.account_id, event_id=event_id, items=[LineItem(UUID(standard["id"]), q)],
            idempotency_key=None, settings=settings, clock=ctx.clock,
        ))  # fmt: skip
        orders.append(placed.order["id"])  # type: ignore[attr-defined]
        levels.append(await shown(client, event_id))
    assert levels == [None, None, "few_left", "sold_out"]
    await run(lambda c: service.cancel_order(c, orders[0], buyer.account_id, settings, ctx.clock))
    assert await shown(client, event_id) is None  # ten of thirty free again: plenty


async def test_a_raised_capacity_promotes_the_waitlist_first_come_first_served(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    promoted = heard(app, WaitlistPromoted)
    owner, a, b, c, d = await people(app, 5)
    org = await organizer(app, {"owner": owner})
    event_id = await event(app, org, capacity=1)
    await rsvp(client, a, event_id, "going")
    for person in (b, c, d):
        assert (await rsvp(client, person, event_id, "going"))["status"] == "waitlisted"
    assert await shown(client, event_id) == "sold_out"

    raised = await client.patch(f"/api/v1/events/{event_id}", json={"capacity": 3}, headers=owner.headers)
    assert raised.status_code == 200, raised.text
    assert [p.account_id for p in promoted] == [b.account_id, c.account_id]
    mails = await scalar(
        app, "SELECT array_agg(to_address ORDER BY id) FROM mail_outbox WHERE kind = 'waitlist-promoted'"
    )  # fmt: skip
    assert mails == [b.email, c.email]
    for person, status in ((a, "going"), (b, "going"), (c, "going"), (d, "waitlisted")):
        assert await scalar(app, "SELECT status FROM rsvps WHERE account_id = %s", person.account_id) == status
    assert await scalar(app, "SELECT taken FROM event_places WHERE event_id = %s", event_id) == 3
    tickets = await scalar(app, "SELECT count(*) FROM tickets WHERE event_id = %s AND status = 'valid'", event_id)
    assert tickets == 3
    assert await shown(client, event_id) == "sold_out"  # the new places went to the people in line
    assert (await rsvp(client, d, event_id, "going"))["waitlist_position"] == 1


async def test_a_raise_during_cancellations_never_promotes_more_than_the_places(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    capacity, waiting = 6, 20
    owner, *crowd = await people(app, 1 + capacity + waiting)
    org = await organizer(app, {"owner": owner})
    event_id = await event(app, org, capacity=capacity)
    going, queued = crowd[:capacity], crowd[capacity:]
    for person in going + queued:
        await rsvp(client, person, event_id, "going")
    leaving: list[Person] = going[:4]
    for round_, raise_to in enumerate((capacity + 3, capacity + 5)):
        # A raise and departures at the same moment: every freed or added place goes to the line, once.
        raise_ = client.patch(f"/api/v1/events/{event_id}", json={"capacity": raise_to}, headers=owner.headers)
        pair = leaving[2 * round_ : 2 * round_ + 2]
        leaves = [client.delete(f"/api/v1/events/{event_id}/rsvp", headers=p.headers) for p in pair]
        answers = await asyncio.gather(raise_, *leaves)
        assert all(r.status_code == 200 for r in answers), [r.text for r in answers]
    final = capacity + 5
    counts = Counter(
        (await scalar(app, "SELECT array_agg(status) FROM rsvps WHERE event_id = %s", event_id)) or []
    )
    assert counts["going"] == final
    assert await scalar(app, "SELECT taken FROM event_places WHERE event_id = %s", event_id) == final
    # Freed 4 + added 5 = 9 promoted, the first nine in line, each once.
    promoted = await scalar(
        app, "SELECT array_agg(account_id) FROM rsvps WHERE event_id = %s AND status = 'going'", event_id
    )  # fmt: skip
    assert set(promoted) == {p.account_id for p in going[4:] + queued[:9]}
    mails = await scalar(app, "SELECT count(*) FROM mail_outbox WHERE kind = 'waitlist-promoted'")
    assert mails == 9
    valid = await scalar(app, "SELECT count(*) FROM tickets WHERE event_id = %s AND status = 'valid'", event_id)
    assert valid == final

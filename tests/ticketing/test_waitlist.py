"""RSVPs and the waitlist: first come first served, promotions never beyond the places freed."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
from fastapi import FastAPI

from app.rsvps.service import WaitlistPromoted
from tests.ticketing.helpers import Person, event, heard, organizer, people, scalar


async def rsvp(client: httpx.AsyncClient, person: Person, event_id: object, status: str) -> dict[str, object]:
    response = await client.put(f"/api/v1/events/{event_id}/rsvp", json={"status": status}, headers=person.headers)
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


async def test_the_first_in_line_gets_the_freed_place_with_a_mail_and_a_hook(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    promoted = heard(app, WaitlistPromoted)
    owner, a, b, c = await people(app, 4)
    org = await organizer(app, {"owner": owner})
    event_id = await event(app, org, capacity=1)
    assert await rsvp(client, a, event_id, "going") == {"status": "going", "waitlist_position": None, "places_left": 0}
    assert (await rsvp(client, b, event_id, "going"))["waitlist_position"] == 1
    assert (await rsvp(client, c, event_id, "going"))["waitlist_position"] == 2
    assert (await rsvp(client, a, event_id, "not_going"))["status"] == "not_going"
    assert promoted == [WaitlistPromoted(promoted[0].cell, event_id, b.account_id)]
    mails = await scalar(app, "SELECT array_agg(to_address) FROM mail_outbox WHERE kind = 'waitlist-promoted'")
    assert mails == [b.email]
    assert (await rsvp(client, c, event_id, "going"))["waitlist_position"] == 1  # moved up
    mine = (await client.get("/api/v1/me/tickets", headers=b.headers)).json()["items"]
    assert len(mine) == 1 and mine[0]["event_id"] == str(event_id)
    assert (await client.get("/api/v1/me/tickets", headers=a.headers)).json()["items"] == []
    withdrawn = await client.delete(f"/api/v1/events/{event_id}/rsvp", headers=b.headers)
    assert withdrawn.json()["status"] is None
    assert await scalar(app, "SELECT status FROM rsvps WHERE account_id = %s", c.account_id) == "going"


async def test_concurrent_cancellations_promote_no_more_than_they_free(app: FastAPI, client: httpx.AsyncClient) -> None:
    capacity, waiting, leaving = 20, 15, 30
    owner, *crowd = await people(app, 1 + capacity + waiting + 10)
    org = await organizer(app, {"owner": owner})
    event_id = await event(app, org, capacity=capacity)
    going, queued = crowd[:capacity], crowd[capacity : capacity + waiting]
    for person in going + queued:
        await rsvp(client, person, event_id, "going")
    # 20 going people leave at once while 10 newcomers ask for a place: 15 in line come first.
    leavers = going[:leaving]
    newcomers = crowd[capacity + waiting :]

    async def leave(person: Person) -> int:
        return (await client.delete(f"/api/v1/events/{event_id}/rsvp", headers=person.headers)).status_code

    async def join(person: Person) -> int:
        path = f"/api/v1/events/{event_id}/rsvp"
        response = await client.put(path, json={"status": "going"}, headers=person.headers)
        assert response.status_code == 200, response.text
        return response.status_code

    statuses = Counter(await asyncio.gather(*(leave(p) for p in leavers), *(join(p) for p in newcomers)))
    assert statuses == {200: len(leavers) + len(newcomers)}
    status_of = "SELECT status FROM rsvps WHERE event_id = %s AND account_id = %s"
    assert [await scalar(app, status_of, event_id, p.account_id) for p in queued] == ["going"] * waiting
    going_now = await scalar(app, "SELECT count(*) FROM rsvps WHERE event_id = %s AND status = 'going'", event_id)
    assert going_now == await scalar(app, "SELECT taken FROM event_places WHERE event_id = %s", event_id)
    assert going_now <= capacity
    assert going_now == await scalar(
        app, "SELECT count(*) FROM tickets WHERE event_id = %s AND status = 'valid'", event_id
    )
    promoted = "SELECT count(*) FROM mail_outbox WHERE kind = 'waitlist-promoted' AND account_id = %s"
    assert [await scalar(app, promoted, p.account_id) for p in queued] == [1] * waiting  # all who waited, once
    # A newcomer may have joined the line a moment before a leaver freed a place: promoted too, once.
    promotions = await scalar(app, "SELECT count(*) FROM mail_outbox WHERE kind = 'waitlist-promoted'")
    people_promoted = await scalar(
        app, "SELECT count(DISTINCT account_id) FROM mail_outbox WHERE kind = 'waitlist-promoted'"
    )
    assert promotions == people_promoted <= len(leavers)  # nobody twice, never more than places freed


async def test_organizers_see_search_and_export_attendees(app: FastAPI, client: httpx.AsyncClient) -> None:
    owner, checker, stranger, a, b = await people(app, 5)
    org = await organizer(app, {"owner": owner, "checker": checker})
    event_id = await event(app, org, capacity=10)
    await rsvp(client, a, event_id, "going")
    await rsvp(client, b, event_id, "interested")
    listed = await client.get(f"/api/v1/events/{event_id}/attendees?limit=1", headers=checker.headers)
    assert listed.status_code == 200 and len(listed.json()["items"]) == 1 and listed.json()["next_cursor"]
    rest = await client.get(
        f"/api/v1/events/{event_id}/attendees",
        params={"limit": 1, "cursor": listed.json()["next_cursor"]},
        headers=checker.headers,
    )
    pages = [i["email"] for i in listed.json()["items"] + rest.json()["items"]]
    assert sorted(pages) == sorted([a.email, b.email]) and rest.json()["next_cursor"] is None
    found = await client.get(f"/api/v1/events/{event_id}/attendees", params={"q": b.email[:12]}, headers=owner.headers)
    assert [i["status"] for i in found.json()["items"]] == ["interested"]
    exported = await client.get(f"/api/v1/events/{event_id}/attendees.csv", headers=owner.headers)
    assert exported.headers["content-type"].startswith("text/csv") and a.email in exported.text
    assert (await client.get(f"/api/v1/events/{event_id}/attendees", headers=stranger.headers)).status_code == 404


async def test_the_capacity_follows_the_event_and_shows_in_its_detail(app: FastAPI, client: httpx.AsyncClient) -> None:
    from app.events.schemas import EventUpdate
    from app.events.service import update_event
    from app.ticketing.errors import QuotaBelowTaken

    owner, a, b = await people(app, 3)
    org = await organizer(app, {"owner": owner})
    event_id = await event(app, org, capacity=2)
    for person in (a, b):
        await rsvp(client, person, event_id, "going")
    detail = (await client.get(f"/api/v1/events/{event_id}")).json()
    assert (detail["places_left"], detail["sold_out"]) == (0, True)
    async with app.state.pool.connection() as conn:
        try:
            async with conn.transaction():
                await update_event(conn, event_id, EventUpdate(capacity=1))
            raise AssertionError("a capacity below the places taken was accepted")
        except QuotaBelowTaken:
            pass
        async with conn.transaction():
            await update_event(conn, event_id, EventUpdate(capacity=5))
    detail = (await client.get(f"/api/v1/events/{event_id}")).json()
    assert (detail["places_left"], detail["sold_out"]) == (3, False)


async def test_a_person_reads_their_answer_and_place_in_line(app: FastAPI, client: httpx.AsyncClient) -> None:
    owner, a, b, c = await people(app, 4)
    event_id = await event(app, await organizer(app, {"owner": owner}), capacity=1)
    url = f"/api/v1/events/{event_id}/rsvp"
    unanswered = await client.get(url, headers=a.headers)
    assert unanswered.json() == {"status": None, "waitlist_position": None, "places_left": 1}
    assert unanswered.headers["Cache-Control"] == "no-store"
    await rsvp(client, a, event_id, "going")
    await rsvp(client, b, event_id, "going")
    await rsvp(client, c, event_id, "going")
    assert (await client.get(url, headers=a.headers)).json() == {
        "status": "going",
        "waitlist_position": None,
        "places_left": 0,
    }
    assert (await client.get(url, headers=c.headers)).json()["waitlist_position"] == 2
    await client.delete(url, headers=b.headers)
    assert (await client.get(url, headers=c.headers)).json() == {
        "status": "waitlisted",
        "waitlist_position": 1,
        "places_left": 0,
    }
    draft = await event(app, await organizer(app, {"owner": owner}), status="draft")
    assert (await client.get(f"/api/v1/events/{draft}/rsvp", headers=a.headers)).status_code == 404
    assert (await client.get(url)).status_code == 401

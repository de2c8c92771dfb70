"""Saved events (bound to the event's cell) and followed organizers: idempotent writes, bounded pages."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.events.schemas import EventUpdate, Point
from app.events.service import delete_event, update_event
from config.settings import ProfileSettings, Settings
from geo.cells import cell_of
from tests.accounts.helpers import SignedIn, bearer, sign_up
from tests.profiles.world import event, organizer

SAVED = "/api/v1/me/saved-events"
FOLLOWING = "/api/v1/me/following"
TOKYO = Point(lat=35.6762, lon=139.6503)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    profiles = ProfileSettings(max_saved_events=4, max_following=3, default_page_size=2, max_page_size=3)
    return settings.model_copy(update={"profiles": profiles})


@pytest.fixture
async def alice(client: httpx.AsyncClient) -> SignedIn:
    return await sign_up(client, "alice@example.com")


async def _saved_rows(app: FastAPI) -> list[dict[str, Any]]:
    async with app.state.pool.connection() as conn:
        cur = await conn.execute("SELECT cell, event_id, account_id FROM saved_events ORDER BY saved_at")
        return await cur.fetchall()


async def _all_pages(client: httpx.AsyncClient, who: SignedIn, path: str) -> list[list[dict[str, Any]]]:
    pages, cursor = [], None
    while True:
        response = await client.get(path, params={"cursor": cursor} if cursor else {}, headers=bearer(who))
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "no-store"
        body = response.json()
        pages.append(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages


async def test_save_list_and_forget_events(client: httpx.AsyncClient, app: FastAPI, alice: SignedIn) -> None:
    org = await organizer(app)
    events = [await event(app, org, title=f"Concert {n}") for n in range(3)]
    for row in events:
        assert (await client.put(f"{SAVED}/{row['id']}", headers=bearer(alice))).status_code == 204
    assert (await client.put(f"{SAVED}/{events[0]['id']}", headers=bearer(alice))).status_code == 204  # again: same

    rows = await _saved_rows(app)
    assert len(rows) == 3
    assert {(r["cell"], r["event_id"]) for r in rows} == {(e["cell"], e["id"]) for e in events}

    pages = await _all_pages(client, alice, SAVED)
    assert [len(page) for page in pages] == [2, 1]  # default page size 2
    titles = [item["title"] for page in pages for item in page]
    assert sorted(titles) == ["Concert 0", "Concert 1", "Concert 2"]

    assert (await client.delete(f"{SAVED}/{events[1]['id']}", headers=bearer(alice))).status_code == 204
    assert (await client.delete(f"{SAVED}/{events[1]['id']}", headers=bearer(alice))).status_code == 204
    assert len(await _saved_rows(app)) == 2


async def test_only_public_events_can_be_saved(client: httpx.AsyncClient, app: FastAPI, alice: SignedIn) -> None:
    org = await organizer(app)
    draft = await event(app, org, status="draft")
    for event_id in (draft["id"], uuid.uuid4()):
        response = await client.put(f"{SAVED}/{event_id}", headers=bearer(alice))
        assert response.status_code == 404
    assert (await client.put(f"{SAVED}/not-a-uuid", headers=bearer(alice))).status_code == 422
    assert await _saved_rows(app) == []


async def test_a_saved_event_follows_its_event_to_another_cell_and_goes_with_it(
    client: httpx.AsyncClient, app: FastAPI, alice: SignedIn
) -> None:
    org = await organizer(app)
    row = await event(app, org)
    await client.put(f"{SAVED}/{row['id']}", headers=bearer(alice))
    async with app.state.pool.connection() as conn:
        await update_event(conn, row["id"], EventUpdate(location=TOKYO))
    assert [r["cell"] for r in await _saved_rows(app)] == [cell_of(TOKYO.lat, TOKYO.lon)]
    items = (await client.get(SAVED, headers=bearer(alice))).json()["items"]
    assert [item["event_id"] for item in items] == [str(row["id"])]

    async with app.state.pool.connection() as conn:
        await delete_event(conn, row["id"])
    assert await _saved_rows(app) == []


async def test_saved_events_are_bounded(client: httpx.AsyncClient, app: FastAPI, alice: SignedIn) -> None:
    org = await organizer(app)
    events = [await event(app, org) for _ in range(5)]
    for row in events[:4]:
        assert (await client.put(f"{SAVED}/{row['id']}", headers=bearer(alice))).status_code == 204
    response = await client.put(f"{SAVED}/{events[4]['id']}", headers=bearer(alice))
    assert response.status_code == 409
    assert (await client.put(f"{SAVED}/{events[0]['id']}", headers=bearer(alice))).status_code == 204  # held already
    assert len(await _saved_rows(app)) == 4


async def test_pages_refuse_bad_limits_and_foreign_cursors(
    client: httpx.AsyncClient, app: FastAPI, alice: SignedIn
) -> None:
    bob = await sign_up(client, "bob@example.com")
    org = await organizer(app)
    for _ in range(3):
        row = await event(app, org)
        await client.put(f"{SAVED}/{row['id']}", headers=bearer(bob))
    bobs_cursor = (await client.get(SAVED, headers=bearer(bob))).json()["next_cursor"]
    assert bobs_cursor is not None
    for params, param in (
        ({"limit": "4"}, "limit"),
        ({"limit": "0"}, "limit"),
        ({"cursor": "garbage"}, "cursor"),
        ({"cursor": bobs_cursor}, "cursor"),  # another person's list
        ({"page": "2"}, "page"),
    ):
        response = await client.get(SAVED, params=params, headers=bearer(alice))
        assert response.status_code in (400, 422), (params, response.text)
        assert response.json()["param"] == param
    following_cursor = await client.get(FOLLOWING, params={"cursor": bobs_cursor}, headers=bearer(bob))
    assert following_cursor.status_code == 400  # a cursor of one list is no cursor of another


async def test_follow_list_and_unfollow(client: httpx.AsyncClient, app: FastAPI, alice: SignedIn) -> None:
    orgs = [await organizer(app, f"Org {n}") for n in range(4)]
    for org in orgs[:3]:
        assert (await client.put(f"{FOLLOWING}/{org}", headers=bearer(alice))).status_code == 204
    assert (await client.put(f"{FOLLOWING}/{orgs[0]}", headers=bearer(alice))).status_code == 204  # again
    assert (await client.put(f"{FOLLOWING}/{orgs[3]}", headers=bearer(alice))).status_code == 409  # max 3
    assert (await client.put(f"{FOLLOWING}/{uuid.uuid4()}", headers=bearer(alice))).status_code == 404

    names = [item["name"] for page in await _all_pages(client, alice, FOLLOWING) for item in page]
    assert sorted(names) == ["Org 0", "Org 1", "Org 2"]

    assert (await client.delete(f"{FOLLOWING}/{orgs[1]}", headers=bearer(alice))).status_code == 204
    names = [item["name"] for page in await _all_pages(client, alice, FOLLOWING) for item in page]
    assert sorted(names) == ["Org 0", "Org 2"]


async def test_lists_need_a_signed_in_person(client: httpx.AsyncClient) -> None:
    some = uuid.uuid4()
    for method, path in (
        ("GET", SAVED), ("PUT", f"{SAVED}/{some}"), ("DELETE", f"{SAVED}/{some}"),
        ("GET", FOLLOWING), ("PUT", f"{FOLLOWING}/{some}"), ("DELETE", f"{FOLLOWING}/{some}"),
    ):  # fmt: skip
        assert (await client.request(method, path)).status_code == 401

"""For you, popular near here and similar events over HTTP, against real PostGIS; the signals that
saves, follows and detail views leave behind."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from fastapi import FastAPI

from app.kit.ratelimit import Limit
from tests.accounts.helpers import EPOCH, SignedIn, bearer, sign_up
from tests.profiles.world import PARIS, event, organizer

FOR_YOU = "/api/v1/me/recommendations"
NEAR = "/api/v1/recommendations"
HERE = {"lat": PARIS[0], "lon": PARIS[1]}


@pytest.fixture
async def world(app: FastAPI) -> dict[str, Any]:
    """Jazz by one organizer, football by another, a far event, all around Paris in the next weeks."""
    jazz, sport = await organizer(app, "Caveau Jazz"), await organizer(app, "Stade Club")
    jazz_events = [
        await event(
            app,
            jazz,
            title=f"Jazz night {n}",
            lat=PARIS[0] + 0.01 * n,
            lon=PARIS[1],
            starts_at=EPOCH + timedelta(days=3 + n),
            ends_at=EPOCH + timedelta(days=3 + n, hours=3),
            tags=["jazz"],
        )
        for n in range(4)
    ]
    sport_events = [
        await event(
            app,
            sport,
            title=f"Match {n}",
            category="sports",
            lat=PARIS[0],
            lon=PARIS[1] + 0.01 * n,
            starts_at=EPOCH + timedelta(days=2 + n),
            ends_at=EPOCH + timedelta(days=2 + n, hours=2),
        )
        for n in range(4)
    ]
    async with app.state.pool.connection() as conn:  # the catalogue's own popularity figure
        await conn.execute("UPDATE events SET popularity = 500 WHERE organizer_id = %s", (sport,))
    far = await event(app, jazz, title="Jazz in Tokyo", lat=35.6762, lon=139.6503)
    return {"jazz": jazz, "sport": sport, "jazz_events": jazz_events, "sport_events": sport_events, "far": far}


async def _signals(app: FastAPI, account_id: UUID) -> list[dict[str, Any]]:
    async with app.state.pool.connection() as conn:
        cur = await conn.execute(
            "SELECT kind, cell, event_id, organizer_id, category FROM interactions WHERE account_id = %s "
            "ORDER BY occurred_at, kind",
            (account_id,),
        )
        return await cur.fetchall()


async def test_anonymous_popular_near_here(client: httpx.AsyncClient, world: dict[str, Any]) -> None:
    response = await client.get(NEAR, params={**HERE, "limit": 20})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["basis"] == "popular" and body["origin"] == "here"
    titles = [item["title"] for item in body["items"]]
    assert "Jazz in Tokyo" not in titles and len(titles) == 8  # only the area's events
    assert titles[0].startswith("Match")  # the popular ones lead for someone we know nothing about
    assert all(any(r["code"] == "distance" for r in item["reasons"]) for item in body["items"])
    assert (await client.get(NEAR, params={"lat": 1})).status_code == 422
    assert (await client.get(NEAR, params={**HERE, "junk": 1})).status_code == 422


async def test_saves_follows_and_views_are_signals_and_change_for_you(
    client: httpx.AsyncClient, app: FastAPI, world: dict[str, Any]
) -> None:
    alice: SignedIn = await sign_up(client, "alice@example.com")
    before = (await client.get(FOR_YOU, params=HERE, headers=bearer(alice))).json()
    assert before["basis"] == "popular"
    saved = world["jazz_events"][0]
    assert (await client.put(f"/api/v1/me/saved-events/{saved['id']}", headers=bearer(alice))).status_code == 204
    assert (await client.put(f"/api/v1/me/saved-events/{saved['id']}", headers=bearer(alice))).status_code == 204
    assert (await client.put(f"/api/v1/me/following/{world['jazz']}", headers=bearer(alice))).status_code == 204
    viewed = world["jazz_events"][1]
    assert (await client.get(f"/api/v1/events/{viewed['id']}", headers=bearer(alice))).status_code == 200
    assert (await client.get(f"/api/v1/events/{viewed['id']}")).status_code == 200  # anonymous: no signal
    assert await app.state.recommendations.views.flush() == 1

    signals = {s["kind"]: s for s in await _signals(app, alice.account_id)}
    assert len(await _signals(app, alice.account_id)) == 3  # the second save is not a new signal
    assert signals["save"]["event_id"] == saved["id"] and signals["save"]["cell"] == saved["cell"]
    assert signals["save"]["organizer_id"] == world["jazz"] and signals["save"]["category"] == "music"
    assert signals["follow"]["organizer_id"] == world["jazz"] and signals["follow"]["event_id"] is None
    assert signals["view"]["event_id"] == viewed["id"]

    after = await client.get(FOR_YOU, params=HERE, headers=bearer(alice))
    assert after.status_code == 200, after.text
    assert after.headers["cache-control"] == "no-store"
    body = after.json()
    assert body["basis"] == "personal"
    titles = [item["title"] for item in body["items"]]
    assert saved["title"] not in titles  # already acted on
    assert titles[0].startswith("Jazz night")
    codes = {r["code"] for r in body["items"][0]["reasons"]}
    assert "follows_organizer" in codes
    texts = [r["text"] for item in body["items"] for r in item["reasons"]]
    assert any(text.endswith("from here") for text in texts)


async def test_a_share_is_a_signal_of_the_person_and_is_rate_limited(
    client: httpx.AsyncClient, app: FastAPI, world: dict[str, Any]
) -> None:
    alice: SignedIn = await sign_up(client, "alice@example.com")
    shared = world["jazz_events"][2]
    path = f"/api/v1/events/{shared['id']}/shares"
    assert (await client.post(path)).status_code == 401  # anonymous: nobody to learn about
    assert (await client.post(path, headers=bearer(alice))).status_code == 204
    (signal,) = await _signals(app, alice.account_id)
    assert signal["kind"] == "share" and signal["event_id"] == shared["id"] and signal["cell"] == shared["cell"]
    assert signal["organizer_id"] == world["jazz"] and signal["category"] == "music"
    unknown = await client.post(f"/api/v1/events/{uuid4()}/shares", headers=bearer(alice))
    assert unknown.status_code == 404
    app.state.recommendations.share_limit = Limit("share", 2, 3600)  # two counted so far
    refused = await client.post(path, headers=bearer(alice))
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    assert len(await _signals(app, alice.account_id)) == 1


async def test_pages_are_bounded_and_cursors_checked(
    client: httpx.AsyncClient, app: FastAPI, world: dict[str, Any]
) -> None:
    bob = await sign_up(client, "bob@example.com")
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        params: dict[str, Any] = {**HERE, "limit": 3, **({"cursor": cursor} if cursor else {})}
        response = await client.get(FOR_YOU, params=params, headers=bearer(bob))
        assert response.status_code == 200, response.text
        seen += [item["id"] for item in response.json()["items"]]
        cursor = response.json()["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 8
    other = {**HERE, "lat": 48.0, "limit": 3, "cursor": "x.y"}
    assert (await client.get(FOR_YOU, params=other, headers=bearer(bob))).status_code == 400
    assert (await client.get(FOR_YOU, headers=bearer(bob))).status_code == 400  # no place, no home
    home = {"home": {"consent": True, "precision": "area", "lat": PARIS[0], "lon": PARIS[1], "radius_m": 5000}}
    assert (await client.patch("/api/v1/me", json=home, headers=bearer(bob))).status_code in (200, 204)
    at_home = await client.get(FOR_YOU, headers=bearer(bob))
    assert at_home.status_code == 200 and at_home.json()["origin"] == "home"
    assert any(r["text"].endswith("from home") for r in at_home.json()["items"][0]["reasons"])


async def test_similar_events_and_people_who_also_went(
    client: httpx.AsyncClient, app: FastAPI, world: dict[str, Any]
) -> None:
    first, second = world["jazz_events"][0], world["sport_events"][1]
    for email in ("carol@example.com", "dan@example.com"):
        who = await sign_up(client, email)
        for row in (first, second):
            assert (await client.put(f"/api/v1/me/saved-events/{row['id']}", headers=bearer(who))).status_code == 204
    response = await client.get(f"/api/v1/events/{first['id']}/similar", params={"limit": 5})
    assert response.status_code == 200, response.text
    body = response.json()
    assert str(first["id"]) not in [item["id"] for item in body["similar"]]
    assert body["similar"][0]["title"].startswith("Jazz night")
    assert body["similar"][0]["reasons"][0]["code"] == "same_organizer"
    assert [item["id"] for item in body["also_went"]] == [str(second["id"])]
    assert body["also_went"][0]["reasons"][0]["text"].startswith("2 people")
    missing = await client.get("/api/v1/events/5d1f0c9e-7a4b-4c1e-9f3a-2b6d8e0a1c47/similar")
    assert missing.status_code == 404

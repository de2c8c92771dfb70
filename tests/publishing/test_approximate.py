"""Approximate locations: the exact point is never sent to anyone but those who may see it."""

from __future__ import annotations

import math
from typing import Any

import httpx

from geo.blur import APPROXIMATE_RADIUS_M, blurred
from tests.accounts.helpers import SignedIn, bearer
from tests.publishing.conftest import PARIS, Team, draft_body
from tests.tiles.conftest import features_of
from tiles.grid import tile_of

CENTRE = blurred(*PARIS)


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(h))


async def _published(client: httpx.AsyncClient, team: Team) -> str:
    response = await client.post(
        "/api/v1/events", json=draft_body(team, location_approximate=True), headers=bearer(team.editor)
    )
    assert response.status_code == 201, response.text
    assert (response.json()["lat"], response.json()["lon"]) == PARIS  # the organizer sees the exact point
    eid = str(response.json()["id"])
    assert (await client.post(f"/api/v1/events/{eid}/publish", headers=bearer(team.editor))).status_code == 200
    return eid


async def _public_reads(client: httpx.AsyncClient, eid: str, who: SignedIn | None) -> list[httpx.Response]:
    headers = {} if who is None else bearer(who)
    bbox = {"bbox": "2.30,48.82,2.40,48.89"}
    nearby = {"lat": PARIS[0], "lon": PARIS[1], "radius_m": 3000}
    return [
        await client.get("/api/v1/events", params=bbox, headers=headers),
        await client.get("/api/v1/events", params=bbox, headers={**headers, "accept": "application/geo+json"}),
        await client.get("/api/v1/events", params={**bbox, "sort": "start", "q": "jazz"}, headers=headers),
        await client.get("/api/v1/events/nearby", params=nearby, headers=headers),
        await client.get(f"/api/v1/events/{eid}", headers=headers),
    ]


def _exact_digits() -> list[bytes]:
    return [f"{PARIS[0]}".encode(), f"{PARIS[1]}".encode()]


async def test_lists_nearby_detail_and_tiles_show_only_the_area(client: httpx.AsyncClient, team: Team) -> None:
    eid = await _published(client, team)
    assert _metres(PARIS, CENTRE) < APPROXIMATE_RADIUS_M
    for who in (None, team.outsider):
        for response in await _public_reads(client, eid, who):
            assert response.status_code == 200, response.text
            assert eid in response.text
            assert not any(digits in response.content for digits in _exact_digits()), response.text
        items = (await _public_reads(client, eid, who))[0].json()["items"]
        item = next(i for i in items if i["id"] == eid)
        assert (item["lat"], item["lon"]) == CENTRE and item["venue"] is None and item["location_approximate"]
        nearby = (await _public_reads(client, eid, who))[3].json()["items"][0]
        # Distances are to the area's centre, never to the point: nothing to triangulate.
        assert abs(nearby["distance_m"] - _metres(PARIS, CENTRE)) < 5
        detail = (await _public_reads(client, eid, who))[4]
        assert detail.json()["venue"] is None and detail.headers["cache-control"].startswith("public")
    # Tiles: the feature sits at the area's centre (z16: the two points fall in different tiles).
    exact_tile, centre_tile = tile_of(*PARIS, 16), tile_of(*CENTRE, 16)
    assert exact_tile != centre_tile
    ids_at = {
        t: {str(f["properties"].get("id")) for f in await features_of(client, t)} for t in (exact_tile, centre_tile)
    }
    assert eid in ids_at[centre_tile] and eid not in ids_at[exact_tile]


async def test_members_see_the_exact_point_in_a_private_answer(client: httpx.AsyncClient, team: Team) -> None:
    eid = await _published(client, team)
    detail = await client.get(f"/api/v1/events/{eid}", headers=bearer(team.checker))
    body: dict[str, Any] = detail.json()
    assert (body["lat"], body["lon"]) == PARIS and body["venue"]["id"] == str(team.venue)
    assert detail.headers["cache-control"] == "private, no-store"
    mine = await client.get(f"/api/v1/organizers/{team.org}/events", headers=bearer(team.checker))
    assert (mine.json()["items"][0]["lat"], mine.json()["items"][0]["lon"]) == PARIS


async def test_turning_it_off_and_on_moves_the_event(client: httpx.AsyncClient, team: Team) -> None:
    eid = await _published(client, team)
    off = await client.patch(f"/api/v1/events/{eid}", json={"location_approximate": False}, headers=bearer(team.editor))
    assert off.status_code == 200 and off.json()["sequence"] == 2
    item = (await client.get(f"/api/v1/events/{eid}")).json()
    assert (item["lat"], item["lon"]) == PARIS and item["venue"]["id"] == str(team.venue)
    assert eid in {str(f["properties"].get("id")) for f in await features_of(client, tile_of(*PARIS, 16))}
    on = await client.patch(f"/api/v1/events/{eid}", json={"location_approximate": True}, headers=bearer(team.editor))
    assert on.status_code == 200 and (on.json()["lat"], on.json()["lon"]) == PARIS
    item = (await client.get(f"/api/v1/events/{eid}")).json()
    assert (item["lat"], item["lon"]) == CENTRE and item["venue"] is None
    assert eid not in {str(f["properties"].get("id")) for f in await features_of(client, tile_of(*PARIS, 16))}

"""Venues over HTTP: placement, zones, the same-venue rule, moves that carry events, scope and bad input."""

from __future__ import annotations

import math
from typing import Any
from uuid import UUID

import httpx
import psycopg
import pytest
from fastapi import FastAPI
from psycopg.rows import dict_row

from app.events.changes import EventChange
from app.events.schemas import Point
from tests.accounts.helpers import bearer
from tests.venues.helpers import PARIS, VENUES, Team, create_venue, event_at, team


@pytest.fixture
async def people(client: httpx.AsyncClient) -> Team:
    return await team(client)


def _north(point: dict[str, float], metres: float) -> dict[str, float]:
    return {"lat": point["lat"] + metres / 111_195.0, "lon": point["lon"]}


async def _count(database_url: str, table: str) -> int:
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        cur = await conn.execute(f"SELECT count(*) FROM {table}")
        row = await cur.fetchone()
        assert row is not None
        return int(row[0])


async def test_a_pinned_venue_takes_the_zone_and_town_of_its_point(client: httpx.AsyncClient, people: Team) -> None:
    response = await create_venue(client, people.editor, organizer_id=str(people.org), name="Le Lieu", location=PARIS)
    assert response.status_code == 201, response.text
    venue = response.json()
    assert venue["timezone"] == "Europe/Paris" and venue["city"].startswith("Paris") and venue["country_code"] == "FR"
    assert response.headers["location"] == f"{VENUES}/{venue['id']}"
    again = await client.get(f"{VENUES}/{venue['id']}", headers=bearer(people.checker))
    assert again.status_code == 200 and again.json()["location"] == PARIS


async def test_a_given_zone_wins_and_the_sea_has_a_nautical_zone(client: httpx.AsyncClient, people: Team) -> None:
    given = await create_venue(client, people.owner, organizer_id=str(people.org), name="Here",
                               location=PARIS, timezone="Europe/London")  # fmt: skip
    assert given.json()["timezone"] == "Europe/London"
    boat = await create_venue(client, people.owner, organizer_id=str(people.org), name="Boat",
                              location={"lat": 0.0, "lon": -30.0})  # fmt: skip
    assert boat.status_code == 201 and boat.json()["timezone"] == "Etc/GMT+2"


async def test_an_address_alone_is_geocoded_offline(client: httpx.AsyncClient, people: Team) -> None:
    response = await create_venue(client, people.editor, organizer_id=str(people.org), name="Salle", address="Lyon")
    assert response.status_code == 201, response.text
    venue = response.json()
    assert math.isclose(venue["location"]["lat"], 45.75, abs_tol=0.05) and venue["timezone"] == "Europe/Paris"
    nowhere = await create_venue(client, people.editor, organizer_id=str(people.org), name="X", address="Qqqzzx")
    assert nowhere.status_code == 422 and nowhere.json()["type"].endswith("/address-not-found")


async def test_the_same_name_within_50_m_is_the_same_venue(
    client: httpx.AsyncClient, people: Team, database_url: str
) -> None:
    first = await create_venue(client, people.editor, organizer_id=str(people.org), name="Café de la Gare",
                               location=PARIS)  # fmt: skip
    assert first.status_code == 201
    twin = await create_venue(client, people.owner, organizer_id=str(people.org), name="  CAFE de la  gare! ",
                              location=_north(PARIS, 30))  # fmt: skip
    assert twin.status_code == 409, twin.text
    assert twin.headers["content-type"] == "application/problem+json"
    existing = twin.json()["existing"]
    assert existing["id"] == first.json()["id"] and existing["name"] == "Café de la Gare"
    assert 25 < existing["distance_m"] < 35
    assert await _count(database_url, "venues") == 1
    # Farther than 50 m, another name, or another organizer: another venue.
    far = await create_venue(client, people.owner, organizer_id=str(people.org), name="Café de la Gare",
                             location=_north(PARIS, 80))  # fmt: skip
    other_name = await create_venue(client, people.owner, organizer_id=str(people.org), name="Gare du Nord",
                                    location=PARIS)  # fmt: skip
    theirs = await create_venue(client, people.outsider, organizer_id=str(people.other_org), name="Café de la Gare",
                                location=PARIS)  # fmt: skip
    assert [far.status_code, other_name.status_code, theirs.status_code] == [201, 201, 201]
    # An edit that would make a twin is refused alike.
    rename = await client.patch(f"{VENUES}/{other_name.json()['id']}", json={"name": "cafe de la gare"},
                                headers=bearer(people.editor))  # fmt: skip
    assert rename.status_code == 409 and rename.json()["existing"]["id"] == first.json()["id"]


async def test_roles_and_scope(client: httpx.AsyncClient, people: Team, database_url: str) -> None:
    body = {"organizer_id": str(people.org), "name": "Hall", "location": PARIS}
    assert (await create_venue(client, people.checker, **body)).status_code == 403
    assert (await create_venue(client, people.outsider, **body)).status_code == 404
    venue = (await create_venue(client, people.editor, **body)).json()
    path = f"{VENUES}/{venue['id']}"
    assert (await client.get(path, headers=bearer(people.outsider))).status_code == 404
    assert (await client.patch(path, json={"name": "Mine"}, headers=bearer(people.outsider))).status_code == 404
    assert (await client.patch(path, json={"name": "Mine"}, headers=bearer(people.checker))).status_code == 403
    listed = await client.get(f"/api/v1/organizers/{people.org}/venues", headers=bearer(people.outsider))
    assert listed.status_code == 404
    assert (await client.get(path)).status_code == 401
    assert await _count(database_url, "venues") == 1


async def test_every_write_is_in_the_audit_log(client: httpx.AsyncClient, people: Team, database_url: str) -> None:
    venue = (await create_venue(client, people.editor, organizer_id=str(people.org), name="Hall",
                                location=PARIS)).json()  # fmt: skip
    await client.patch(f"{VENUES}/{venue['id']}", json={"name": "Great Hall"}, headers=bearer(people.owner))
    async with await psycopg.AsyncConnection.connect(database_url, row_factory=dict_row) as conn:
        cur = await conn.execute(
            "SELECT actor_account_id, entity, action, before, after FROM audit_log WHERE entity_id = %s "
            "ORDER BY at, id",
            (venue["id"],),
        )
        rows = await cur.fetchall()
    assert [(r["entity"], r["action"], r["actor_account_id"]) for r in rows] == [
        ("venue", "created", people.editor.account_id), ("venue", "updated", people.owner.account_id)]
    assert rows[0]["before"] is None
    assert rows[1]["before"]["name"] == "Hall" and rows[1]["after"]["name"] == "Great Hall"


async def _event_row(database_url: str, event_id: UUID) -> dict[str, Any]:
    async with await psycopg.AsyncConnection.connect(database_url, row_factory=dict_row) as conn:
        cur = await conn.execute(
            "SELECT ST_Y(geom) AS lat, ST_X(geom) AS lon, venue_name, ST_Y(venue_geom) AS venue_lat, "
            "ST_Y(coalesce(exact_geom, geom)) AS exact_lat, ST_X(coalesce(exact_geom, geom)) AS exact_lon "
            "FROM events WHERE id = %s", (event_id,),
        )  # fmt: skip
        row = await cur.fetchone()
        assert row is not None
        return row


async def test_moving_a_venue_moves_its_events_and_invalidates_their_tiles(
    app: FastAPI, client: httpx.AsyncClient, people: Team, database_url: str
) -> None:
    venue = (await create_venue(client, people.editor, organizer_id=str(people.org), name="Hall",
                                location=PARIS)).json()  # fmt: skip
    at_venue = Point(**venue["location"])
    held_there = [await event_at(database_url, people.org, venue["id"], at_venue) for _ in range(3)]
    own_point = await event_at(database_url, people.org, venue["id"], Point(lat=48.86, lon=2.36))
    blurred = await event_at(database_url, people.org, venue["id"], at_venue, approximate=True)
    published: list[EventChange] = []

    async def seen(change: EventChange) -> None:
        published.append(change)

    app.state.after_commit.listen(EventChange, seen)
    app.state.venues.settings = app.state.venues.settings.model_copy(update={"move_batch_size": 2})
    lyon = {"lat": 45.764, "lon": 4.8357}
    moved = await client.patch(f"{VENUES}/{venue['id']}", json={"location": lyon, "name": "Grande Halle"},
                               headers=bearer(people.editor))  # fmt: skip
    assert moved.status_code == 200, moved.text
    assert moved.json()["moved_events"] == 4 and moved.json()["city"].startswith("Lyon")
    for event_id in held_there:
        row = await _event_row(database_url, event_id)
        assert (row["lat"], row["lon"]) == (lyon["lat"], lyon["lon"])
        assert row["venue_name"] == "Grande Halle" and row["venue_lat"] == lyon["lat"]
    kept = await _event_row(database_url, own_point)
    assert (kept["lat"], kept["lon"]) == (48.86, 2.36)
    # Shown approximately: found by its exact point, now shown at an area around Lyon, not on the venue.
    area = await _event_row(database_url, blurred)
    assert (area["exact_lat"], area["exact_lon"]) == (lyon["lat"], lyon["lon"])
    assert (area["lat"], area["lon"]) != (lyon["lat"], lyon["lon"]) and abs(area["lat"] - lyon["lat"]) < 0.05
    assert sorted(c.event_id for c in published) == sorted([*held_there, blurred])
    exact_moves = [c for c in published if c.event_id != blurred]
    assert all(c.aspects == {"moved"} and c.points == (at_venue, Point(**lyon)) for c in exact_moves)
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        cur = await conn.execute("SELECT count(*) FROM event_changes WHERE 'moved' = ANY(aspects)")
        assert (await cur.fetchone()) == (4,)


async def test_a_list_pages_in_name_order(client: httpx.AsyncClient, people: Team) -> None:
    for index, name in enumerate(["Cirque", "Atelier", "Bar", "Dôme", "Entrepôt"]):
        point = _north(PARIS, 100 * index)
        assert (await create_venue(client, people.owner, organizer_id=str(people.org), name=name,
                                   location=point)).status_code == 201  # fmt: skip
    path = f"/api/v1/organizers/{people.org}/venues"
    names, cursor = [], None
    while True:
        params = {"limit": "2"} if cursor is None else {"limit": "2", "cursor": cursor}
        page = await client.get(path, params=params, headers=bearer(people.checker))
        assert page.status_code == 200, page.text
        names += [item["name"] for item in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert names == ["Atelier", "Bar", "Cirque", "Dôme", "Entrepôt"]
    tampered = await client.get(path, params={"cursor": "abc.def"}, headers=bearer(people.checker))
    assert tampered.status_code == 400
    too_many = await client.get(path, params={"limit": "1000"}, headers=bearer(people.checker))
    assert too_many.status_code == 422


@pytest.mark.parametrize(
    "change",
    [
        {"location": {"lat": "NaN", "lon": 2.0}},
        {"location": {"lat": 91, "lon": 2.0}},
        {"location": {"lat": 48.0, "lon": -180.5}},
        {"timezone": "Mars/Olympus_Mons"},
        {"name": "   "},
        {"name": ""},
        {"name": "x" * 201},
        {"colour": "red"},
        {"location": None, "address": ""},
        {"organizer_id": "not-a-uuid"},
    ],
)
async def test_bad_input_writes_nothing(
    client: httpx.AsyncClient, people: Team, database_url: str, change: dict[str, Any]
) -> None:
    body = {"organizer_id": str(people.org), "name": "Hall", "location": PARIS, **change}
    response = await client.post(VENUES, json=body, headers=bearer(people.editor))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert await _count(database_url, "venues") == 0


async def test_bad_edits_write_nothing(client: httpx.AsyncClient, people: Team) -> None:
    venue = (await create_venue(client, people.editor, organizer_id=str(people.org), name="Hall",
                                location=PARIS)).json()  # fmt: skip
    path = f"{VENUES}/{venue['id']}"
    for change in ({"location": {"lat": 100, "lon": 0}}, {"timezone": "Nowhere/City"}, {"name": " "},
                   {"organizer_id": str(people.other_org)}):  # fmt: skip
        response = await client.patch(path, json=change, headers=bearer(people.editor))
        assert response.status_code == 422, (change, response.text)
    after = (await client.get(path, headers=bearer(people.editor))).json()
    assert after == venue
    missing = await client.get(f"{VENUES}/5d1f0c9e-7a4b-4c1e-9f3a-2b6d8e0a1c47", headers=bearer(people.editor))
    assert missing.status_code == 404

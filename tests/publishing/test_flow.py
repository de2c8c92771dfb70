"""The organizer's flow over HTTP: draft, publish, edit, cancel, delete; each write visible at the next read."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.accounts.helpers import bearer
from tests.publishing.conftest import NOW, PARIS, Changes, Team, draft_body
from tests.tiles.conftest import features_of
from tiles.grid import tile_of

BBOX = "2.30,48.82,2.40,48.89"


async def create(client: httpx.AsyncClient, team: Team, **overrides: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/events", json=draft_body(team, **overrides), headers=bearer(team.editor))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def act(client: httpx.AsyncClient, team: Team, event_id: str, action: str, status: int = 200) -> dict[str, Any]:
    response = await client.post(f"/api/v1/events/{event_id}/{action}", headers=bearer(team.editor))
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(
        "application/problem+json" if status >= 400 else "application/json"
    )
    body: dict[str, Any] = response.json()
    return body


async def listed(client: httpx.AsyncClient) -> dict[str, dict[str, Any]]:
    response = await client.get("/api/v1/events", params={"bbox": BBOX})
    assert response.status_code == 200, response.text
    return {item["id"]: item for item in response.json()["items"]}


async def on_tile(client: httpx.AsyncClient, lat: float, lon: float) -> set[str]:
    return {str(f["properties"].get("id")) for f in await features_of(client, tile_of(lat, lon, 14))}


async def test_draft_publish_edit_cancel_each_visible_at_once(
    client: httpx.AsyncClient, team: Team, changes: Changes
) -> None:
    event = await create(client, team)
    # Local 19:30 in Paris in July is 17:30 UTC; the venue's zone was taken.
    assert event["status"] == "draft" and event["timezone"] == "Europe/Paris"
    assert event["starts_at"].startswith("2030-07-14T17:30:00") and event["local_starts_at"] == "2030-07-14T19:30:00"
    assert (event["lat"], event["lon"]) == PARIS and event["sequence"] == 0 and event["published_at"] is None
    eid = event["id"]
    # A draft is nowhere public (warm the tile cache first: the publish must invalidate it).
    assert eid not in await listed(client) and eid not in await on_tile(client, *PARIS)
    assert (await client.get(f"/api/v1/events/{eid}")).status_code == 404

    published = await act(client, team, eid, "publish")
    assert published["status"] == "published" and published["sequence"] == 1
    assert published["published_at"].startswith(NOW.isoformat()[:16])  # the second write, a second later
    assert eid in await listed(client) and eid in await on_tile(client, *PARIS)
    assert (await client.get(f"/api/v1/events/{eid}")).json()["title"] == "Jazz au bord de l'eau"

    # Edit: a new title is a detail (no new sequence); a move to the Left Bank re-reads the tiles.
    left_bank = {"lat": 48.8462, "lon": 2.3371}
    response = await client.patch(f"/api/v1/events/{eid}", json={"title": "Jazz rive gauche", "location": left_bank},
                                  headers=bearer(team.owner))  # fmt: skip
    assert response.status_code == 200, response.text
    assert response.json()["sequence"] == 2 and response.json()["venue_id"] == str(team.venue)
    assert listed_title(await listed(client), eid) == "Jazz rive gauche"
    assert eid not in await on_tile(client, *PARIS) and eid in await on_tile(client, left_bank["lat"], left_bank["lon"])

    cancelled = await act(client, team, eid, "cancel")
    assert cancelled["status"] == "cancelled" and cancelled["sequence"] == 3
    assert (await listed(client))[eid]["status"] == "cancelled"  # stays visible, marked cancelled
    assert (await client.get(f"/api/v1/events/{eid}")).json()["status"] == "cancelled"
    await act(client, team, eid, "unpublish", 409)
    response = await client.delete(f"/api/v1/events/{eid}", headers=bearer(team.editor))
    assert response.status_code == 409 and "cancel" in response.json()["detail"]

    again = await act(client, team, eid, "publish")  # reinstated; published_at stays the first one
    assert again["published_at"] == published["published_at"]
    assert (await act(client, team, eid, "unpublish"))["status"] == "draft"
    assert eid not in await listed(client) and eid not in await on_tile(client, left_bank["lat"], left_bank["lon"])
    response = await client.delete(f"/api/v1/events/{eid}", headers=bearer(team.editor))
    assert response.status_code == 204
    assert (
        await client.patch(f"/api/v1/events/{eid}", json={"title": "x"}, headers=bearer(team.editor))
    ).status_code == 404
    kinds = [(c.kind, sorted(c.aspects)) for c in changes.seen if str(c.event_id) == eid]
    assert kinds[0] == ("created", []) and kinds[-1] == ("deleted", ["deleted"])
    assert ("updated", ["cancelled"]) in kinds and ("updated", ["details", "moved"]) in kinds


def listed_title(items: dict[str, dict[str, Any]], eid: str) -> str:
    return str(items[eid]["title"])


async def test_local_times_across_daylight_saving(client: httpx.AsyncClient, team: Team) -> None:
    # In a fold (clocks go back at 03:00 on 2030-10-27 in Paris) 02:30 is the first one, in summer time.
    event = await create(client, team, starts_at="2030-10-27T02:30:00", ends_at="2030-10-27T04:00:00")
    assert event["starts_at"].startswith("2030-10-27T00:30:00") and event["ends_at"].startswith("2030-10-27T03:00:00")
    # In a gap (2030-03-31, 02:00 → 03:00) the time does not exist: refused, naming the first valid one.
    response = await client.post(
        "/api/v1/events", json=draft_body(team, starts_at="2030-03-31T02:30:00", ends_at="2030-03-31T05:00:00"),
        headers=bearer(team.editor),
    )  # fmt: skip
    assert response.status_code == 422 and response.json()["param"] == "starts_at"
    assert "2030-03-31T03:00:00" in response.json()["detail"]
    # Another zone: the wall-clock times are read there (New York, with an explicit location).
    ny = await create(
        client, team, venue_id=None, location={"lat": 40.7128, "lon": -74.006}, timezone="America/New_York"
    )
    assert ny["starts_at"].startswith("2030-07-14T23:30:00") and ny["local_starts_at"] == "2030-07-14T19:30:00"
    # Changing the zone keeps the wall-clock times and re-reads them.
    response = await client.patch(
        f"/api/v1/events/{ny['id']}", json={"timezone": "America/Chicago"}, headers=bearer(team.editor)
    )
    assert response.json()["starts_at"].startswith("2030-07-15T00:30:00") and response.json()["sequence"] == 1


async def test_organizer_lists_and_audit_log(client: httpx.AsyncClient, team: Team) -> None:
    first = await create(client, team, title="First")
    second = await create(client, team, title="Second", starts_at="2030-07-15T19:30:00", ends_at="2030-07-15T22:00:00")
    await act(client, team, second["id"], "publish")
    path = f"/api/v1/organizers/{team.org}/events"
    for who in (team.owner, team.editor, team.checker):  # every member reads, drafts included
        response = await client.get(path, params={"limit": 1}, headers=bearer(who))
        assert response.status_code == 200 and [i["id"] for i in response.json()["items"]] == [first["id"]]
    following = await client.get(path, params={"limit": 1, "cursor": response.json()["next_cursor"]},
                                 headers=bearer(team.owner))  # fmt: skip
    assert [i["id"] for i in following.json()["items"]] == [second["id"]] and following.json()["next_cursor"] is None
    drafts = await client.get(path, params={"status": "draft"}, headers=bearer(team.owner))
    assert [i["id"] for i in drafts.json()["items"]] == [first["id"]]
    assert (await client.get(path, headers=bearer(team.outsider))).status_code == 404
    assert (await client.get(path, params={"cursor": "bogus!"}, headers=bearer(team.owner))).status_code == 422
    assert (await client.get(path, params={"cursor": "Ym9ndXM"}, headers=bearer(team.owner))).status_code == 400

    audit = await client.get(f"/api/v1/organizers/{team.org}/audit", params={"limit": 2}, headers=bearer(team.checker))
    assert audit.status_code == 200, audit.text
    entries = audit.json()["items"]
    assert [(e["action"], e["entity_id"]) for e in entries] == [("published", second["id"]), ("created", second["id"])]
    assert entries[0]["actor_account_id"] == str(team.editor.account_id) and entries[0]["at"].startswith("2030-06-01")
    assert entries[0]["before"]["status"] == "draft" and entries[0]["after"]["status"] == "published"
    rest = await client.get(f"/api/v1/organizers/{team.org}/audit", params={"cursor": audit.json()["next_cursor"]},
                            headers=bearer(team.owner))  # fmt: skip
    assert [e["action"] for e in rest.json()["items"]] == ["created"] and rest.json()["items"][0]["entity_id"] == first[
        "id"
    ]
    only = await client.get(f"/api/v1/organizers/{team.org}/audit", params={"entity_id": first["id"]},
                            headers=bearer(team.owner))  # fmt: skip
    assert len(only.json()["items"]) == 1
    assert (await client.get(f"/api/v1/organizers/{team.org}/audit", headers=bearer(team.outsider))).status_code == 404
    assert uuid.UUID(entries[0]["id"])

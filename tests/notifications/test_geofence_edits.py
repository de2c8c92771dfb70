"""Changing a geofence (PATCH) as the editor on the notifications page does: a new area and new filters
in one request both hold, filters alone keep the area, and matching follows the new area at once."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from app.worker.jobs import WorkerContext
from tests.accounts.helpers import bearer, sign_up
from tests.notifications.world import PARIS, circle, drain, notices, organizer, publish

LYON = (45.7640, 4.8357)


async def test_a_new_area_and_new_filters_in_one_patch_both_hold(
    client: httpx.AsyncClient, app: FastAPI, worker: WorkerContext
) -> None:
    ana = await sign_up(client, "ana@example.com")
    made = await client.post("/api/v1/me/geofences", json=circle(*PARIS, 3000, name="Home"), headers=bearer(ana))
    assert made.status_code == 201, made.text
    url = f"/api/v1/me/geofences/{made.json()['id']}"
    lon, lat = LYON[1], LYON[0]
    ring = [[lon - 0.05, lat - 0.05], [lon + 0.05, lat - 0.05], [lon + 0.05, lat + 0.05], [lon - 0.05, lat + 0.05]]
    body = {
        "name": "Lyon evenings",
        "categories": ["music"],
        "price_max": 2000,
        "days": [6, 7],
        "time_from": 18 * 60,
        "time_to": 23 * 60 + 30,
        "area": {"type": "Polygon", "coordinates": [[*ring, ring[0]]]},
    }
    changed = await client.patch(url, json=body, headers=bearer(ana))
    assert changed.status_code == 200, changed.text
    expected = {k: v for k, v in body.items() if k != "area"}
    assert {k: changed.json()[k] for k in expected} == expected
    [listed] = (await client.get("/api/v1/me/geofences", headers=bearer(ana))).json()["items"]
    assert listed["area"] == body["area"] and {k: listed[k] for k in expected} == expected

    # Filters alone: the area stays; null clears a filter.
    again = await client.patch(url, json={"name": "Lyon", "categories": None}, headers=bearer(ana))
    assert again.status_code == 200, again.text
    assert (again.json()["name"], again.json()["categories"], again.json()["area"]) == ("Lyon", None, body["area"])
    assert again.json()["days"] == [6, 7]

    # Matching follows the new area: Paris is out, Lyon (a Saturday evening, local) is in.
    await client.patch(url, json={"days": None, "time_from": None, "time_to": None}, headers=bearer(ana))
    org = await organizer(app)
    await publish(app, org)  # Paris
    in_lyon = await publish(app, org, lat=LYON[0], lon=LYON[1])
    await drain(worker)
    assert [n["event_id"] for n in await notices(app)] == [in_lyon["id"]]


async def test_another_persons_geofence_is_not_found(client: httpx.AsyncClient) -> None:
    ana = await sign_up(client, "ana@example.com")
    bob = await sign_up(client, "bob@example.com")
    made = await client.post("/api/v1/me/geofences", json=circle(*PARIS, 3000), headers=bearer(ana))
    url = f"/api/v1/me/geofences/{made.json()['id']}"
    assert (await client.patch(url, json={"name": "Mine"}, headers=bearer(bob))).status_code == 404
    assert (await client.delete(url, headers=bearer(bob))).status_code == 404
    assert (await client.delete(url, headers=bearer(ana))).status_code == 204
    assert (await client.get("/api/v1/me/geofences", headers=bearer(ana))).json()["items"] == []

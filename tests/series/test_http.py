"""Recurring events over HTTP: POST /events with a recurrence, scopes, occurrences page, list and tiles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI

from config.settings import Settings
from tests.accounts.helpers import FrozenClock, SignedIn, bearer, sign_up, with_cheap_auth
from tests.conftest import make_settings
from tests.organizers.helpers import found
from tests.tiles.conftest import features_of
from tiles.grid import tile_of

PARIS_ZONE = ZoneInfo("Europe/Paris")
PARIS = {"lat": 48.8566, "lon": 2.3522}
GENEROUS = {"register_ip_limit": "1000/3600", "login_ip_limit": "1000/300", "token_ip_limit": "1000/900"}
# The list and the tiles show what has not ended by the real clock: the series starts next week.
TODAY = datetime.now(UTC).astimezone(PARIS_ZONE).date()
FIRST = datetime.combine(TODAY + timedelta(days=7 + (1 - TODAY.weekday()) % 7), datetime.min.time()).replace(hour=19)


@pytest.fixture
def settings(clean_db: str, redis_prefix: str) -> Settings:
    return with_cheap_auth(make_settings(clean_db, redis_prefix), **GENEROUS)


@pytest.fixture(autouse=True)
def clock(app: FastAPI) -> FrozenClock:
    pinned = FrozenClock(datetime.now(UTC).replace(microsecond=0))
    app.state.events_clock = pinned
    return pinned


async def _organizer(client: httpx.AsyncClient) -> tuple[SignedIn, str]:
    owner = await sign_up(client, "owner@example.com")
    return owner, str(await found(client, owner))


def _draft(org: str, rrule: str, **extra: Any) -> dict[str, Any]:
    return {
        "organizer_id": org, "title": "Jazz night", "category": "music", "is_free": True,
        "starts_at": FIRST.isoformat(), "ends_at": (FIRST + timedelta(hours=3)).isoformat(),
        "timezone": "Europe/Paris", "location": PARIS, "recurrence": {"rrule": rrule}, **extra,
    }  # fmt: skip


async def _counts(client: httpx.AsyncClient) -> tuple[int, int]:
    app: FastAPI = client._transport.app  # type: ignore[attr-defined]
    async with app.state.pool.connection() as conn:
        cur = await conn.execute("SELECT (SELECT count(*) FROM events) AS e, (SELECT count(*) FROM event_series) AS s")
        row = await cur.fetchone()
    assert row is not None
    return row["e"], row["s"]


async def _occurrences(client: httpx.AsyncClient, event_id: str, who: SignedIn | None = None) -> list[dict[str, Any]]:
    items, cursor = [], None
    while True:
        query = "limit=5" + (f"&cursor={cursor}" if cursor else "")
        headers = bearer(who) if who else {}
        page = await client.get(f"/api/v1/events/{event_id}/occurrences?{query}", headers=headers)
        assert page.status_code == 200, page.text
        items += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return items


async def test_a_weekly_series_is_created_published_and_shown_in_lists_and_tiles(client: httpx.AsyncClient) -> None:
    owner, org = await _organizer(client)
    created = await client.post("/api/v1/events", json=_draft(org, "FREQ=WEEKLY;COUNT=12"), headers=bearer(owner))
    assert created.status_code == 201, created.text
    first = created.json()
    assert first["status"] == "draft" and first["series_id"] and first["local_starts_at"] == FIRST.isoformat()
    # Drafts: members see the occurrences, nobody else does.
    assert len(await _occurrences(client, first["id"], owner)) == 12
    assert (await client.get(f"/api/v1/events/{first['id']}/occurrences")).status_code == 404
    # Publishing one occurrence publishes the series: 12 events on the map at once.
    published = await client.post(f"/api/v1/events/{first['id']}/publish", headers=bearer(owner))
    assert published.status_code == 200, published.text
    items = await _occurrences(client, first["id"])
    assert len(items) == 12 and {i["status"] for i in items} == {"published"}
    assert {datetime.fromisoformat(i["starts_at"]).astimezone(PARIS_ZONE).hour for i in items} == {19}
    listed = await client.get("/api/v1/events", params={"bbox": "2.30,48.83,2.40,48.88", "limit": 50})
    assert listed.status_code == 200, listed.text
    assert {i["id"] for i in listed.json()["items"]} == {i["id"] for i in items}
    features = await features_of(client, tile_of(PARIS["lat"], PARIS["lon"], 14))
    assert {f["properties"]["id"] for f in features} == {i["id"] for i in items}


async def test_scopes_of_an_edit_and_cancel(client: httpx.AsyncClient) -> None:
    owner, org = await _organizer(client)
    first = (await client.post("/api/v1/events", json=_draft(org, "FREQ=WEEKLY;COUNT=6"), headers=bearer(owner))).json()
    await client.post(f"/api/v1/events/{first['id']}/publish", headers=bearer(owner))
    ids = [i["id"] for i in await _occurrences(client, first["id"])]
    # One occurrence moved an hour later: only it changes, and it is marked overridden.
    later = (FIRST + timedelta(days=7, hours=1)).isoformat()
    one = await client.patch(f"/api/v1/events/{ids[1]}", json={"starts_at": later}, headers=bearer(owner))
    assert one.status_code == 200, one.text
    assert one.json()["local_starts_at"] == later
    # Cancel one: it stays listed as cancelled.
    cancelled = await client.post(f"/api/v1/events/{ids[2]}/cancel", headers=bearer(owner))
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    # The whole series renamed: every occurrence, the overrides kept.
    renamed = await client.patch(
        f"/api/v1/events/{ids[0]}?scope=series", json={"title": "Jazz club"}, headers=bearer(owner)
    )
    assert renamed.status_code == 200, renamed.text
    items = await _occurrences(client, first["id"])
    assert [i["overridden"] for i in items] == [False, True, True, False, False, False]
    assert [i["status"] for i in items][:3] == ["published", "published", "cancelled"]
    # This and following: the series splits at the fourth occurrence.
    split = await client.patch(
        f"/api/v1/events/{ids[3]}?scope=following", json={"title": "Late jazz"}, headers=bearer(owner)
    )
    assert split.status_code == 200, split.text
    assert split.json()["series_id"] != first["series_id"] and split.json()["id"] == ids[3]
    assert [i["id"] for i in await _occurrences(client, ids[3])] == ids[3:]
    assert [i["id"] for i in await _occurrences(client, ids[0])] == ids[:3]
    audit = await client.get(f"/api/v1/organizers/{org}/audit", headers=bearer(owner))
    actions = [(e["entity"], e["action"]) for e in audit.json()["items"]]
    assert ("series", "split") in actions and ("event", "cancelled") in actions and ("series", "created") in actions


async def test_deleting_an_occurrence_of_a_draft_series_excludes_it(client: httpx.AsyncClient) -> None:
    owner, org = await _organizer(client)
    first = (await client.post("/api/v1/events", json=_draft(org, "FREQ=WEEKLY;COUNT=3"), headers=bearer(owner))).json()
    ids = [i["id"] for i in await _occurrences(client, first["id"], owner)]
    assert (await client.delete(f"/api/v1/events/{ids[1]}", headers=bearer(owner))).status_code == 204
    assert [i["id"] for i in await _occurrences(client, first["id"], owner)] == [ids[0], ids[2]]
    await client.post(f"/api/v1/events/{ids[0]}/publish", headers=bearer(owner))
    refused = await client.delete(f"/api/v1/events/{ids[2]}", headers=bearer(owner))
    assert refused.status_code == 409  # published: cancel it instead


@pytest.mark.parametrize(
    ("recurrence", "says"),
    [
        ({"rrule": "FREQ=WEEKLY;BYDAY=XX"}, "BYDAY=XX"),
        ({"rrule": "FREQ=DAILY;COUNT=5000"}, "more than 730"),
        ({"rrule": "FREQ=MINUTELY"}, "FREQ=MINUTELY"),
        ({"rrule": "FREQ=WEEKLY", "exdates": ["tomorrow"]}, None),
        ({"rrule": "FREQ=WEEKLY", "extra": 1}, None),
    ],
)
async def test_bad_recurrences_are_422_and_write_nothing(
    client: httpx.AsyncClient, recurrence: dict[str, Any], says: str | None
) -> None:
    owner, org = await _organizer(client)
    response = await client.post("/api/v1/events", json={**_draft(org, ""), "recurrence": recurrence},
                                 headers=bearer(owner))  # fmt: skip
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    if says:
        assert says in response.json()["detail"] and response.json()["param"] == "recurrence.rrule"
    assert await _counts(client) == (0, 0)


async def test_an_unbounded_rule_is_capped_at_the_horizon(client: httpx.AsyncClient, clock: FrozenClock) -> None:
    owner, org = await _organizer(client)
    created = await client.post("/api/v1/events", json=_draft(org, "FREQ=MONTHLY"), headers=bearer(owner))
    assert created.status_code == 201, created.text
    items = await _occurrences(client, created.json()["id"], owner)
    assert 11 <= len(items) <= 12  # monthly, from next week to a year from now
    assert datetime.fromisoformat(items[-1]["starts_at"]) < clock.now + timedelta(days=365)


async def test_scope_on_a_one_off_event_and_recurrence_on_an_edit_are_refused(client: httpx.AsyncClient) -> None:
    owner, org = await _organizer(client)
    one_off = _draft(org, "")
    del one_off["recurrence"]
    event = (await client.post("/api/v1/events", json=one_off, headers=bearer(owner))).json()
    scoped = await client.patch(f"/api/v1/events/{event['id']}?scope=series", json={"title": "x"},
                                headers=bearer(owner))  # fmt: skip
    assert scoped.status_code == 400 and scoped.json()["param"] == "scope"
    recurring = await client.patch(f"/api/v1/events/{event['id']}", json={"recurrence": {"rrule": "FREQ=DAILY"}},
                                   headers=bearer(owner))  # fmt: skip
    assert recurring.status_code == 422
    assert (await client.get(f"/api/v1/events/{event['id']}/occurrences", headers=bearer(owner))).status_code == 404

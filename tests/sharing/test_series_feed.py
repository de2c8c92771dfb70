"""A series as one calendar entry: exported, parsed back by a real parser and expanded, it gives the
same occurrences at the same local wall-clock times as the events rows (across a DST change, with an
exclusion, a moved occurrence and a cancelled one)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import recurring_ical_events
from fastapi import FastAPI

from config.settings import Settings
from tests.accounts.helpers import FrozenClock, bearer, sign_up, with_cheap_auth
from tests.conftest import make_settings
from tests.organizers.helpers import found
from tests.sharing.rfc5545 import check_rfc5545

PARIS = ZoneInfo("Europe/Paris")
# Tuesdays at 19:00 from 16 March 2027: clocks go forward on 28 March (CET → CEST).
FIRST = datetime(2027, 3, 16, 19, 0)


@pytest.fixture
def settings(clean_db: str, redis_prefix: str) -> Settings:
    return with_cheap_auth(make_settings(clean_db, redis_prefix), register_ip_limit="1000/3600")


@pytest.fixture(autouse=True)
def clock(app: FastAPI) -> FrozenClock:
    pinned = FrozenClock(datetime(2027, 3, 1, 12, tzinfo=UTC))
    app.state.events_clock = pinned
    return pinned


async def _rows(app: FastAPI, series_id: str) -> list[dict[str, Any]]:
    async with app.state.pool.connection() as conn:
        cur = await conn.execute(
            "SELECT id, starts_at, ends_at, status, recurrence_id FROM events WHERE series_id = %s "
            "ORDER BY recurrence_id", (series_id,))  # fmt: skip
        return await cur.fetchall()


async def test_a_series_round_trips_through_a_real_parser(app: FastAPI, client: httpx.AsyncClient) -> None:
    owner = await sign_up(client, "owner@example.com")
    org = str(await found(client, owner))
    draft = {
        "organizer_id": org, "title": "Jazz night", "category": "music", "is_free": True,
        "starts_at": FIRST.isoformat(), "ends_at": (FIRST + timedelta(hours=3)).isoformat(),
        "timezone": "Europe/Paris", "location": {"lat": 48.8566, "lon": 2.3522},
        "recurrence": {"rrule": "FREQ=WEEKLY;COUNT=6"},
    }  # fmt: skip
    created = await client.post("/api/v1/events", json=draft, headers=bearer(owner))
    assert created.status_code == 201, created.text
    series_id = created.json()["series_id"]
    ids = [row["id"] for row in await _rows(app, series_id)]
    assert (await client.delete(f"/api/v1/events/{ids[1]}", headers=bearer(owner))).status_code == 204  # EXDATE
    assert (await client.post(f"/api/v1/events/{ids[0]}/publish", headers=bearer(owner))).status_code == 200
    moved = (FIRST + timedelta(days=14, hours=1, minutes=30)).isoformat()  # after the DST change
    patch = {"starts_at": moved, "location": {"lat": 48.86, "lon": 2.34}}
    assert (await client.patch(f"/api/v1/events/{ids[2]}", json=patch, headers=bearer(owner))).status_code == 200
    assert (await client.post(f"/api/v1/events/{ids[4]}/cancel", headers=bearer(owner))).status_code == 200

    response = await client.get(f"/api/v1/series/{series_id}.ics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/calendar")
    calendar = check_rfc5545(response.content)
    master, *overrides = calendar.walk("VEVENT")
    assert "RRULE" in master and "EXDATE" in master and int(master["SEQUENCE"]) >= 1
    assert len(overrides) == 2 and all("RECURRENCE-ID" in one for one in overrides)
    assert [str(zone["TZID"]) for zone in calendar.walk("VTIMEZONE")] == ["Europe/Paris"]

    expanded = recurring_ical_events.of(calendar).between(datetime(2027, 1, 1), datetime(2028, 1, 1))
    got = sorted(
        (e.decoded("DTSTART").astimezone(PARIS).replace(tzinfo=None), e.decoded("DTEND").astimezone(PARIS).replace(
            tzinfo=None), str(e.get("STATUS"))) for e in expanded
    )  # fmt: skip
    rows = await _rows(app, series_id)
    want = sorted(
        (r["starts_at"].astimezone(PARIS).replace(tzinfo=None), r["ends_at"].astimezone(PARIS).replace(tzinfo=None),
         "CANCELLED" if r["status"] == "cancelled" else "CONFIRMED") for r in rows
    )  # fmt: skip
    assert got == want
    local_starts = [start.strftime("%m-%d %H:%M") for start, _, _ in got]
    assert local_starts == ["03-16 19:00", "03-30 20:30", "04-06 19:00", "04-13 19:00", "04-20 19:00"]
    assert [status for _, _, status in got].count("CANCELLED") == 1


async def test_a_draft_or_unknown_series_is_404(app: FastAPI, client: httpx.AsyncClient) -> None:
    owner = await sign_up(client, "owner@example.com")
    org = str(await found(client, owner))
    draft = {
        "organizer_id": org, "title": "Draft", "category": "music", "is_free": True,
        "starts_at": FIRST.isoformat(), "ends_at": (FIRST + timedelta(hours=1)).isoformat(),
        "timezone": "Europe/Paris", "location": {"lat": 48.8566, "lon": 2.3522},
        "recurrence": {"rrule": "FREQ=DAILY;COUNT=2"},
    }  # fmt: skip
    series_id = (await client.post("/api/v1/events", json=draft, headers=bearer(owner))).json()["series_id"]
    assert (await client.get(f"/api/v1/series/{series_id}.ics")).status_code == 404
    assert (await client.get("/api/v1/series/00000000-0000-0000-0000-000000000000.ics")).status_code == 404

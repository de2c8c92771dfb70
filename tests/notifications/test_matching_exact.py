"""10,000 geofences (circles and polygons, some across the antimeridian) and 1,000 published events:
the people told, as matched in PostGIS (H3 prefilter + GiST + exact test) by the worker's drain, are
exactly those a brute-force shapely/great-circle check finds."""

from __future__ import annotations

import random
from datetime import timedelta

import psycopg
from fastapi import FastAPI

from app.events.schemas import EventCreate, Point
from app.events.service import create_event
from app.notifications.matching import drain_changes
from tests.notifications.synthetic import brute_force, load_accounts, load_fences, random_fence, random_point
from tests.notifications.world import NOW, organizer

FENCES, EVENTS, PER_ACCOUNT = 10_000, 1_000, 10


async def test_matched_set_equals_brute_force(app: FastAPI, clean_db: str) -> None:
    rng = random.Random(21)
    with psycopg.connect(clean_db) as conn:
        accounts = load_accounts(conn, FENCES // PER_ACCOUNT)
        fences = [random_fence(rng, accounts[i // PER_ACCOUNT]) for i in range(FENCES)]
        load_fences(conn, fences)
    assert any(f.area.center is None and len(f.area.parts.geoms) == 2 for f in fences)  # split at ±180
    assert any(f.area.center is not None and len(f.area.parts.geoms) == 2 for f in fences)
    org = await organizer(app)
    points = [random_point(rng) for _ in range(EVENTS)]
    events = {}
    async with app.state.pool.connection() as conn, conn.transaction():
        for lat, lon in points:
            data = {
                "organizer_id": org,
                "title": "Somewhere",
                "category": "music",
                "timezone": "UTC",
                "starts_at": NOW + timedelta(days=2),
                "ends_at": NOW + timedelta(days=2, hours=1),
                "status": "published",
                "is_free": True,
                "location": Point(lat=lat, lon=lon),
            }
            row, _ = await create_event(conn, EventCreate.model_validate(data))
            events[row["id"]] = (lat, lon)
    async with app.state.pool.connection() as conn, conn.transaction():
        assert await drain_changes(conn, NOW, EVENTS) == EVENTS
        cur = await conn.execute("SELECT account_id, event_id FROM notices WHERE kind = 'nearby'")
        told = {(row["account_id"], row["event_id"]) for row in await cur.fetchall()}

    ids = list(events)
    expected = {(fences[f].account_id, ids[p]) for f, p in brute_force(fences, [events[i] for i in ids])}
    assert len(expected) > 5_000  # the regions are dense enough for the check to mean something
    assert told == expected

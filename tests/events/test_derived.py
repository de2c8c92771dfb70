"""The data derived from events (postings, tile rollups, venue copies: ADR-9) stays exactly what a
rebuild from scratch makes, through random sequences of every write the application makes; a write
that bypasses the write path is caught by the same comparison."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any
from uuid import UUID

import psycopg
import pytest
from psycopg.rows import DictRow

from app.events import derived
from app.events.schemas import EventUpdate, Point
from app.events.service import delete_event, delete_events_of_organizers, update_event, venue_changed
from tests.events.conftest import World

PLACES = [(48.8566, 2.3522), (45.764, 4.8357), (40.7128, -74.0060), (35.6762, 139.6503)]
CATEGORIES = ["music", "sports", "arts"]
WORDS = ["jazz", "quay", "blues", "night", "market", "tango", "film", "river"]
# Every derived row, in key order (a coarse cell left empty keeps a row of zeros: ADR-9).
SNAPSHOTS = {
    "event_terms": "SELECT cell, lexeme, sort_key, id, starts_at, ends_at, px, py FROM event_terms ORDER BY 1, 2, 3, 4",
    **{
        table: f"SELECT * FROM {table} WHERE events > 0 ORDER BY gx, gy, category"
        for table in ("tile_rollup_fine", "tile_rollup", "tile_rollup_coarse")
    },
}
STALE_COPIES = """
SELECT e.id FROM events e LEFT JOIN venues v ON v.id = e.venue_id
WHERE (e.venue_name, e.venue_geom) IS DISTINCT FROM (v.name, v.geom)
"""

Conn = psycopg.AsyncConnection[DictRow]


async def _snapshot(db: Conn) -> dict[str, list[Any]]:
    return {table: await (await db.execute(query)).fetchall() for table, query in SNAPSHOTS.items()}


async def assert_as_rebuilt(db: Conn) -> None:
    """The derived tables equal what ``events_derived_rebuild`` counts from ``events`` now."""
    held = await _snapshot(db)
    async with db.transaction(force_rollback=True):
        await db.execute(derived.REBUILD)
        rebuilt = await _snapshot(db)
    for table in SNAPSHOTS:
        assert held[table] == rebuilt[table], table
    assert await (await db.execute(STALE_COPIES)).fetchall() == []


@pytest.fixture
async def horizon(db: Conn) -> None:
    # A known horizon ahead of the clock: events ending within the hour are not counted.
    await db.execute("SELECT tile_rollup_rebuild(now() + interval '1 hour')")
    # As the app's sessions plan (app.db): pruned to the rows' partitions, not locking all 64.
    await db.execute("SET plan_cache_mode = force_custom_plan")


def _point(rng: random.Random) -> Point:
    lat, lon = rng.choice(PLACES)
    return Point(lat=lat + rng.uniform(-0.3, 0.3), lon=lon + rng.uniform(-0.3, 0.3))


def _title(rng: random.Random) -> str:
    return " ".join(rng.sample(WORDS, 2)).title()


async def _random_edit(rng: random.Random, world: World, row: dict[str, Any], venues: list[UUID]) -> EventUpdate:
    start = world.now + timedelta(minutes=rng.choice([-180, -30, 20, 600, 3000]))
    edits = [
        EventUpdate(title=_title(rng)),
        EventUpdate(tags=rng.sample(WORDS, 2)),
        EventUpdate(description=" ".join(rng.choices(WORDS, k=5))),
        EventUpdate(location=_point(rng)),
        EventUpdate(category=rng.choice(CATEGORIES)),
        EventUpdate(status=rng.choice(["draft", "published", "cancelled"])),
        EventUpdate(starts_at=start, ends_at=start + timedelta(minutes=rng.choice([10, 60, 240]))),
        EventUpdate(venue_id=rng.choice(venues)),
        EventUpdate(location_approximate=not row["location_approximate"]),
        EventUpdate(popularity=rng.randrange(100)),  # nothing derived changes
    ]
    return rng.choice(edits)


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_random_writes_keep_derived_data_as_a_rebuild_makes_it(
    db: Conn, world: World, horizon: None, seed: int
) -> None:
    rng = random.Random(seed)
    venues = [await world.venue(*rng.choice(PLACES), name=f"Venue {n}") for n in range(3)]
    rows: list[dict[str, Any]] = []
    for step in range(60):
        action = rng.random()
        if action < 0.35 or not rows:
            point = _point(rng)
            status = rng.choice(["draft", "published", "published", "cancelled"])
            venue = rng.choice([None, *venues])
            rows.append(
                await world.event(point.lat, point.lon, venue_id=venue, title=_title(rng), tags=rng.sample(WORDS, 2),
                                  category=rng.choice(CATEGORIES), status=status,
                                  starts_in=timedelta(minutes=rng.choice([-200, 30, 3000])))
            )  # fmt: skip
        elif action < 0.8:
            index = rng.randrange(len(rows))
            edit = await _random_edit(rng, world, rows[index], venues)
            rows[index], _ = await update_event(db, rows[index]["id"], edit)
        elif action < 0.9:
            await delete_event(db, rows.pop(rng.randrange(len(rows)))["id"])
        else:  # a venue renamed and moved: its events' copies follow (``app.venues.service``)
            venue, (lat, lon) = rng.choice(venues), rng.choice(PLACES)
            name = f"Venue {step}"
            await db.execute(
                "UPDATE venues SET name = %s, geom = ST_SetSRID(ST_MakePoint(%s, %s), 4326) WHERE id = %s",
                (name, lon, lat, venue),
            )
            await venue_changed(db, venue, name, Point(lat=lat, lon=lon))
        if step % 10 == 9:
            await assert_as_rebuilt(db)
    await delete_events_of_organizers(db, list({row["organizer_id"] for row in rows}))
    await assert_as_rebuilt(db)
    assert await _snapshot(db) == {table: [] for table in SNAPSHOTS}


async def test_the_horizon_advance_keeps_the_rollups_as_a_rebuild_makes_them(
    db: Conn, world: World, horizon: None
) -> None:
    for minutes in (30, 90, 200, 3000):
        await world.event(starts_in=timedelta(minutes=minutes - 60), duration=timedelta(hours=1))
    await db.execute("SELECT tile_rollup_advance(now() + interval '3 hours')")
    await assert_as_rebuilt(db)


@pytest.mark.parametrize(
    "bypass",
    [
        "UPDATE events SET title = 'Bypassed tango' WHERE id = %(id)s",
        "UPDATE events SET category = 'sports' WHERE id = %(id)s",
        "UPDATE venues SET name = 'Renamed' WHERE id = %(venue)s",
        "UPDATE events SET venue_name = 'Elsewhere' WHERE id = %(id)s",
        "DELETE FROM events WHERE id = %(id)s",
    ],
)
async def test_a_write_that_bypasses_the_write_path_is_caught(
    db: Conn, world: World, horizon: None, bypass: str
) -> None:
    venue = await world.venue(*PLACES[0])
    event = await world.event(venue_id=venue, title="Jazz on the quay")
    await assert_as_rebuilt(db)
    await db.execute(bypass, {"id": event["id"], "venue": venue})
    with pytest.raises(AssertionError):
        await assert_as_rebuilt(db)
    await derived.rebuild(db)  # what a writer of plain SQL ends with
    await db.execute("UPDATE events e SET venue_name = v.name FROM venues v WHERE v.id = e.venue_id")  # single node
    await assert_as_rebuilt(db)


async def test_plain_sql_through_write_rows_keeps_derived_data(db: Conn, world: World, horizon: None) -> None:
    events = [await world.event(title=f"Night market {n}") for n in range(5)]
    keys = [(row["cell"], row["id"]) for row in events]
    await derived.write_rows(db, keys, "UPDATE events SET title = title || ' jazz', category = 'arts'")
    await assert_as_rebuilt(db)
    await derived.write_rows(db, keys[:2], "DELETE FROM events WHERE id = ANY(%s)", ([k[1] for k in keys[:2]],))
    await assert_as_rebuilt(db)

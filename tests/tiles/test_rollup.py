"""``tile_rollup``, ``tile_rollup_coarse`` and ``tile_rollup_fine`` (migrations 0008, 0009, 0011, 0012,
kept by the writer since 0027): true after every kind of write, also when writers in one cell
overlap, the same tiles as ``events`` gives, and kept in key order on disk."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import httpx
import psycopg
import pytest
from fastapi import FastAPI
from psycopg.rows import dict_row

from app.events import derived, service
from app.events.schemas import EventUpdate
from config.settings import TileSettings
from tests.tiles.conftest import NOW, Event, EventStore, decode, features_of, scatter
from tiles.filters import parse_filters
from tiles.grid import COARSE_ROLLUP_ZOOM, FINE_ROLLUP_ZOOM, ROLLUP_ZOOM, Tile, tile_of
from tiles.service import run_tile_query
from tiles.sql import tile_query

PLACES = [(48.8566, 2.3522), (51.5074, -0.1278), (35.6762, 139.6503), (40.7128, -74.0060), (-33.8688, 151.2093)]

# What a rollup whose cells are ``shift`` bits coarser than fine positions should hold, counted from scratch.
RECOUNT = """
SELECT px >> {shift} AS gx, py >> {shift} AS gy, category, count(*)::int AS events, sum(px) AS sum_x,
       sum(py) AS sum_y, min(px) AS x_lo, max(px) AS x_hi, min(py) AS y_lo, max(py) AS y_hi
FROM events
WHERE status IN ('published', 'cancelled') AND ends_at >= (SELECT counted_from FROM tile_rollup_horizon)
GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
"""
HELD = "SELECT gx, gy, category, events, sum_x, sum_y, x_lo, x_hi, y_lo, y_hi FROM {table} {where} ORDER BY 1, 2, 3"
# A coarse cell left without events keeps a row of zeros (migration 0011); the other levels delete theirs.
KEEPS_EMPTY_ROWS = {"tile_rollup_coarse"}
LEVELS = (
    ("tile_rollup", 31 - ROLLUP_ZOOM),
    ("tile_rollup_coarse", 31 - COARSE_ROLLUP_ZOOM),
    ("tile_rollup_fine", 31 - FINE_ROLLUP_ZOOM),
)


async def _rows(conn: psycopg.AsyncConnection[Any], sql: str) -> list[tuple[Any, ...]]:
    return [tuple(row.values()) for row in await (await conn.execute(sql)).fetchall()]


async def _assert_true(conn: psycopg.AsyncConnection[Any]) -> None:
    for table, shift in LEVELS:
        where = "WHERE events > 0" if table in KEEPS_EMPTY_ROWS else ""
        held = await _rows(conn, HELD.format(table=table, where=where))
        assert held == await _rows(conn, RECOUNT.format(shift=shift)), table


def _world(rng: random.Random) -> list[Event]:
    events: list[Event] = []
    for lat, lon in PLACES:
        events += scatter(rng, 40, lat, lon, 2.0)
        events += scatter(rng, 15, lat, lon, 0.5, category="sports")
        # Ending within the horizon's lead: counted from events by the tile, not by the rollup.
        soon = {"starts_at": NOW - timedelta(hours=1), "ends_at": NOW + timedelta(minutes=20)}
        events += scatter(rng, 10, lat, lon, 1.0, **soon)
        events += scatter(rng, 5, lat, lon, 1.0, status="draft")
        events += scatter(rng, 5, lat, lon, 1.0, starts_at=NOW - timedelta(days=2), ends_at=NOW - timedelta(days=1))
    return events


@pytest.fixture
async def conn(clean_db: str) -> Any:
    async with await psycopg.AsyncConnection.connect(clean_db, row_factory=dict_row, autocommit=True) as connection:
        await connection.execute("SET jit = off")  # as the tile pool runs (tiles.service)
        # A known horizon, ahead of the clock (other tests' apps may have moved it).
        await connection.execute("SELECT tile_rollup_rebuild(now() + interval '1 hour')")
        yield connection


async def test_the_rollup_stays_true_through_every_kind_of_write(conn: Any, store: EventStore) -> None:
    events = await store.add(_world(random.Random(3)))
    await _assert_true(conn)
    ids = [e.id for e in events]
    writes = [
        (
            "UPDATE events SET geom = ST_SetSRID(ST_MakePoint(ST_X(geom) + 1.5, ST_Y(geom) - 0.7), 4326) "
            "WHERE id = ANY(%s)",
            ids[0:60],
        ),
        ("UPDATE events SET category = 'sports' WHERE id = ANY(%s)", ids[40:90]),
        ("UPDATE events SET status = 'draft' WHERE id = ANY(%s)", ids[90:110]),
        ("UPDATE events SET status = 'published' WHERE id = ANY(%s)", ids[60:80] + ids[100:105]),
        (
            "UPDATE events SET starts_at = now() - interval '3 hours', ends_at = now() - interval '1 hour' "
            "WHERE id = ANY(%s)",
            ids[110:130],
        ),
        ("UPDATE events SET title = 'Retitled' WHERE id = ANY(%s)", ids[130:200]),
        ("DELETE FROM events WHERE id = ANY(%s)", ids[200:260]),
    ]
    for sql, chosen in writes:
        await store.change(sql, chosen)
        await _assert_true(conn)
    # Every extreme of one cell leaves it: its bounds are recounted from the events left.
    extremes = await conn.execute(
        "SELECT DISTINCT ON (px >> 23, py >> 23, category) id FROM events "
        "WHERE status = 'published' ORDER BY px >> 23, py >> 23, category, px"
    )
    await store.change("DELETE FROM events WHERE id = ANY(%s)", [row["id"] for row in await extremes.fetchall()])
    await _assert_true(conn)
    moved = await (await conn.execute("SELECT tile_rollup_advance(now() + interval '2 days') AS h")).fetchone()
    assert moved is not None
    await _assert_true(conn)
    await conn.execute("TRUNCATE events CASCADE")  # no trigger follows: emptied data is counted again
    await derived.rebuild(conn)
    for table, _ in LEVELS:
        assert await _rows(conn, f"SELECT * FROM {table}") == []


@pytest.mark.parametrize("query", ["", "category=sports", "category=music&category=sports"])
async def test_wide_cluster_tiles_from_the_rollup_equal_tiles_made_from_events(
    conn: Any, store: EventStore, query: str
) -> None:
    events = await store.add(_world(random.Random(4)))
    filters = parse_filters(query)
    tiles = {Tile(0, 0, 0)} | {tile_of(e.lat, e.lon, z) for e in events for z in range(1, 9)}
    for tile in sorted(tiles):
        statement = tile_query(tile, filters, TileSettings())
        assert statement.fallback is not None, tile
        rolled = await run_tile_query(conn, statement)
        assert rolled["complete"] is True
        made = await run_tile_query(conn, statement.fallback)
        assert _features(rolled) == _features(made), tile


def _features(row: dict[str, Any]) -> list[tuple[Any, ...]]:
    features = decode(bytes(row["mvt"] or b""))
    return sorted((tuple(f["geometry"]["coordinates"]), tuple(sorted(f["properties"].items()))) for f in features)


async def test_a_rebuild_lays_the_rows_out_in_key_order(conn: Any, store: EventStore) -> None:
    """A tile reads a key range: in key order on disk its rows share pages (migration 0009)."""
    await store.add(_world(random.Random(5)))  # counted as written: in arrival order
    await conn.execute("SELECT tile_rollup_rebuild(now() + interval '1 hour')")
    on_disk = await _rows(conn, "SELECT gx, gy, category FROM tile_rollup ORDER BY ctid")
    assert len(on_disk) > 20 and on_disk == sorted(on_disk)
    options = await (await conn.execute("SELECT reloptions FROM pg_class WHERE relname = 'tile_rollup'")).fetchone()
    assert options is not None and "fillfactor=80" in options["reloptions"]
    await _assert_true(conn)


async def test_a_horizon_behind_the_clock_never_counts_an_ended_event(
    conn: Any, store: EventStore, client: httpx.AsyncClient, app: FastAPI
) -> None:
    await app.state.tiles.horizon.aclose()  # nothing moves the horizon during this test
    now = datetime.now(UTC)  # not the import's: the rollup's horizon below is an hour behind the clock
    ended = Event(48.85, 2.35, starts_at=now - timedelta(hours=2), ends_at=now - timedelta(minutes=10))
    live = Event(48.86, 2.36)
    await conn.execute("SELECT tile_rollup_rebuild(now() - interval '1 hour')")
    await store.add([ended, live])
    held = await (await conn.execute("SELECT coalesce(sum(events), 0) AS n FROM tile_rollup")).fetchone()
    assert held is not None and held["n"] == 2  # the rollup counts the ended event: its horizon is past
    for z in range(0, 6):
        features = await features_of(client, tile_of(48.85, 2.35, z))
        assert sum(f["properties"]["count"] for f in features) == 1


async def test_the_service_moves_the_horizon_only_when_it_is_due(conn: Any, app: FastAPI) -> None:
    horizon = app.state.tiles.horizon
    await horizon.aclose()
    await conn.execute("SELECT tile_rollup_rebuild(now())")
    moved = await horizon.advance()
    assert moved is not None
    lead = TileSettings().rollup_lead_s
    row = await (await conn.execute("SELECT counted_from - now() AS ahead FROM tile_rollup_horizon")).fetchone()
    assert row is not None and timedelta(seconds=lead - 60) < row["ahead"] <= timedelta(seconds=lead)
    assert await horizon.advance() is None  # far enough ahead: nothing to do


async def test_a_horizon_advance_leaves_the_rollup_all_visible(conn: Any, app: FastAPI, store: EventStore) -> None:
    """Wide tiles read the rollup from its index alone only on pages the visibility map marks."""
    horizon = app.state.tiles.horizon
    await horizon.aclose()
    await store.add(_world(random.Random(7)))
    await conn.execute("SELECT tile_rollup_rebuild(now())")  # fresh rows: no page is all-visible yet
    assert await horizon.advance() is not None
    for table, _ in LEVELS:
        visibility = "SELECT relpages, relallvisible FROM pg_class WHERE relname = %s"
        pages = await (await conn.execute(visibility, (table,))).fetchone()
        assert pages is not None and pages["relpages"] > 0 and pages["relallvisible"] == pages["relpages"], table
    await _assert_true(conn)


async def test_overlapping_writers_in_one_coarse_cell_both_count(conn: Any, store: EventStore, clean_db: str) -> None:
    """The second writer waits for the first one's coarse row, then recounts it with both events."""
    paris, lyon = Event(48.8566, 2.3522), Event(45.764, 4.8357)
    assert tile_of(paris.lat, paris.lon, COARSE_ROLLUP_ZOOM) == tile_of(lyon.lat, lyon.lon, COARSE_ROLLUP_ZOOM)
    assert tile_of(paris.lat, paris.lon, ROLLUP_ZOOM) != tile_of(lyon.lat, lyon.lon, ROLLUP_ZOOM)
    await store.add([Event(48.9, 2.4)])  # the coarse row exists before either writer starts
    connect = partial(psycopg.AsyncConnection.connect, clean_db, row_factory=dict_row)
    async with await connect() as first, await connect() as second:
        await EventStore(first, store.organizer).add([paris])  # its transaction stays open
        waiting = asyncio.create_task(EventStore(second, store.organizer).add([lyon]))
        await asyncio.sleep(0.3)
        assert not waiting.done()  # on the coarse row the first writer holds
        await first.commit()
        await asyncio.wait_for(waiting, timeout=10)
        await second.commit()
    await _assert_true(conn)


async def test_event_writes_outside_read_committed_are_refused(clean_db: str, store: EventStore) -> None:
    [event] = await store.add([Event(48.85, 2.35)])
    async with await psycopg.AsyncConnection.connect(clean_db, row_factory=dict_row) as other:
        await other.set_isolation_level(psycopg.IsolationLevel.REPEATABLE_READ)
        with pytest.raises(psycopg.errors.RaiseException, match="READ COMMITTED"):
            await service.update_event(other, event.id, EventUpdate(category="sports"))
        await other.rollback()
    row = await (await store.conn.execute("SELECT category FROM events WHERE id = %s", (event.id,))).fetchone()
    assert row is not None and row["category"] == "music"


@pytest.mark.parametrize(
    ("tile", "query", "rolled_up"),
    [
        (Tile(0, 0, 0), "", True),
        (Tile(5, 16, 10), "category=music&category=arts", True),
        (Tile(8, 130, 88), "category=music", True),
        (Tile(9, 260, 176), "", False),  # its clusters are zoom-12 cells, finer than any rollup's
        (Tile(3, 4, 2), "free=true", False),
        (Tile(3, 4, 2), "price_max=1000", False),
        (Tile(3, 4, 2), "tag=jazz", False),
        (Tile(3, 4, 2), "q=jazz", False),
        (Tile(3, 4, 2), "starts_after=2030-01-01T00:00:00Z", False),  # also counts ended events
        (Tile(3, 4, 2), "starts_before=2030-01-01T00:00:00Z", False),
        (Tile(3, 4, 2), "min_popularity=5", False),
    ],
)
def test_only_default_filters_and_categories_read_the_rollup(tile: Tile, query: str, rolled_up: bool) -> None:
    statement = tile_query(tile, parse_filters(query), TileSettings())
    assert (statement.fallback is not None) is rolled_up
    assert any(f"{table} r" in statement.sql for table, _ in LEVELS) is rolled_up


@pytest.mark.parametrize(
    ("z", "table"),
    [(0, "tile_rollup_coarse"), (2, "tile_rollup_coarse"), (3, "tile_rollup"), (5, "tile_rollup"),
     (6, "tile_rollup_fine"), (8, "tile_rollup_fine")],
)  # fmt: skip
def test_each_zoom_reads_the_coarsest_rollup_that_serves_it(z: int, table: str) -> None:
    statement = tile_query(Tile(z, 0, 0), parse_filters(""), TileSettings())
    assert f"FROM {table} r" in statement.sql

"""What the tiles hold, decoded with a real MVT decoder and checked against the events written."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI

from app.main import create_app
from config.settings import TileSettings
from geo.mercator import FINE_ZOOM, fine_position
from tests.conftest import make_settings
from tests.tiles.conftest import NOW, Event, EventStore, decode, features_of, get_tile, inside, scatter
from tiles import service as service_module
from tiles import sql as sql_module
from tiles.grid import CLUSTER_LEVELS, EXTENT, Tile, expansion_zoom, tile_of

CITIES = [(48.8566, 2.3522), (35.6762, 139.6503), (40.7128, -74.0060), (-33.8688, 151.2093), (-23.55, -46.63)]


def _in(event: Event, tile: Tile) -> bool:
    return tile_of(event.lat, event.lon, tile.z) == tile


def _centre(tile: Tile) -> tuple[float, float]:
    box = tile.bbox()
    return (box.south + box.north) / 2, (box.west + box.east) / 2


def _rank(events: list[Event]) -> list[str]:
    return [str(e.id) for e in sorted(events, key=lambda e: (-e.popularity, e.id))]


async def test_a_point_tile_holds_every_matching_event_inside_it(client: httpx.AsyncClient, store: EventStore) -> None:
    rng = random.Random(1)
    shown = scatter(rng, 250, 48.8566, 2.3522, 0.03, popularity=3)
    hidden = [
        Event(48.8566, 2.3522, status="draft"),
        Event(48.857, 2.351, starts_at=NOW - timedelta(days=2), ends_at=NOW - timedelta(days=1)),  # over
    ]
    await store.add(shown + hidden)
    hidden_ids = {str(e.id) for e in hidden}
    for z in (12, 14, 17):
        for tile in sorted({tile_of(e.lat, e.lon, z) for e in shown})[:12]:
            features = await features_of(client, tile)
            expected = {str(e.id) for e in shown if _in(e, tile)}
            assert {f["properties"]["id"] for f in features if inside(f)} == expected
            # The buffer only repeats events of the neighbouring tiles, near this one's edges.
            for feature in features:
                assert feature["properties"]["id"] not in hidden_ids
                assert feature["properties"]["cluster"] is False
                x, y = feature["geometry"]["coordinates"]
                assert -64 <= x < EXTENT + 64 and -64 <= y < EXTENT + 64


async def test_point_properties_and_position(client: httpx.AsyncClient, store: EventStore) -> None:
    event = Event(
        48.8606, 2.3376, title="Jazz at the Louvre", category="arts", timezone="Europe/Paris", is_free=False,
        price_min=1200, currency="EUR", popularity=42, starts_at=NOW.replace(microsecond=0) + timedelta(days=3),
    )
    free = Event(48.8607, 2.3377, is_free=True, price_min=None, currency=None, status="cancelled")
    await store.add([event, free])
    tile = tile_of(event.lat, event.lon, 16)
    features = {f["properties"]["id"]: f for f in await features_of(client, tile)}
    props = features[str(event.id)]["properties"]
    assert props == {
        "cluster": False, "id": str(event.id), "title": "Jazz at the Louvre", "category": "arts",
        "starts_at": event.starts_at.strftime("%Y-%m-%dT%H:%M:%SZ"), "timezone": "Europe/Paris",
        "is_free": False, "price_min": 1200, "currency": "EUR", "popularity": 42, "status": "published",
    }
    # Absent values are absent properties (MVT has no null).
    assert features[str(free.id)]["properties"]["is_free"] is True
    assert "price_min" not in features[str(free.id)]["properties"]
    assert features[str(free.id)]["properties"]["status"] == "cancelled"
    px, py = fine_position(event.lat, event.lon)
    x0, _, y0, _ = tile.fine_bounds()
    scale = (1 << tile.shift) / EXTENT
    assert features[str(event.id)]["geometry"]["coordinates"] == [int((px - x0) // scale), int((py - y0) // scale)]


async def test_cluster_counts_add_up_and_each_event_is_counted_once(
    client: httpx.AsyncClient, store: EventStore
) -> None:
    rng = random.Random(2)
    events = [e for lat, lon in CITIES for e in scatter(rng, 60, lat, lon, rng.choice([0.01, 0.3, 2.0]))]
    for e in events:
        e.category = rng.choice(["music", "arts", "food"])
    await store.add(events)
    for z in (0, 1, 3, 5, 8, 11):
        total = 0
        for tile in sorted({tile_of(e.lat, e.lon, z) for e in events}):
            features = await features_of(client, tile)
            assert all(f["properties"]["cluster"] is True for f in features)
            assert sum(f["properties"]["count"] for f in features) == sum(_in(e, tile) for e in events)
            total += sum(f["properties"]["count"] for f in features)
            _check_clusters(tile, features, [e for e in events if _in(e, tile)])
        assert total == len(events)


def _check_clusters(tile: Tile, features: list[dict[str, object]], members: list[Event]) -> None:
    """Each feature is one grid cell: its count, dominant category, expansion zoom and a place inside it."""
    shift = FINE_ZOOM - tile.z - CLUSTER_LEVELS
    cells: dict[tuple[int, int], list[Event]] = defaultdict(list)
    positions = {id(e): fine_position(e.lat, e.lon) for e in members}
    for e in members:
        px, py = positions[id(e)]
        cells[(px >> shift, py >> shift)].append(e)
    assert len(features) == len(cells)
    cell_size = EXTENT >> CLUSTER_LEVELS
    by_place = {}
    for feature in features:
        x, y = feature["geometry"]["coordinates"]  # type: ignore[index]
        cell = ((tile.x << CLUSTER_LEVELS) + x // cell_size, (tile.y << CLUSTER_LEVELS) + y // cell_size)
        by_place[cell] = feature["properties"]
    for cell, group in cells.items():
        props = by_place[cell]
        counts = Counter(e.category for e in group)
        dominant = min(counts, key=lambda c: (-counts[c], c))
        xs = [positions[id(e)][0] for e in group]
        ys = [positions[id(e)][1] for e in group]
        spread = (min(xs) ^ max(xs)) | (min(ys) ^ max(ys))
        assert props == {
            "cluster": True, "count": len(group), "category": dominant,
            "expansion_zoom": expansion_zoom(tile.z, spread.bit_length(), 12),
        }


async def test_a_cluster_splits_at_its_expansion_zoom(client: httpx.AsyncClient, store: EventStore) -> None:
    pair = [Event(48.85, 2.35), Event(48.85, 2.36)]  # 740 m apart
    venue = [Event(35.6, 139.7), Event(35.6, 139.7)]  # one place: never splits before points
    await store.add(pair + venue)
    features = await features_of(client, tile_of(48.85, 2.35, 4))
    assert len(features) == 1
    split = features[0]["properties"]["expansion_zoom"]
    before = await features_of(client, tile_of(48.85, 2.35, split - 1))
    assert len(before) == 1 and before[0]["properties"]["count"] == 2
    after = [f for tile in {tile_of(e.lat, e.lon, split) for e in pair} for f in await features_of(client, tile)]
    assert len(after) == 2
    features = await features_of(client, tile_of(35.6, 139.7, 4))
    assert features[0]["properties"]["expansion_zoom"] == 12


async def test_no_event_in_view_is_a_204(client: httpx.AsyncClient, store: EventStore) -> None:
    await store.add([Event(48.85, 2.35)])
    response = await get_tile(client, tile_of(-10.0, -140.0, 6))
    assert response.status_code == 204 and response.content == b""
    assert response.headers["cache-control"].startswith("public, max-age=")


@pytest.fixture
async def capped_client(clean_db: str, redis_prefix: str) -> AsyncIterator[httpx.AsyncClient]:
    settings = make_settings(clean_db, redis_prefix, tiles=TileSettings(max_features=5))
    application: FastAPI = create_app(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield http


async def test_over_the_cap_the_most_popular_stay_in_a_fixed_order(
    capped_client: httpx.AsyncClient, store: EventStore
) -> None:
    rng = random.Random(3)
    tile = tile_of(48.8566, 2.3522, 14)
    events = scatter(rng, 40, *_centre(tile), 0.002)
    for e in events:
        e.popularity = rng.choice([1, 2, 3, 5, 8])  # ties: the id decides
    await store.add(events)
    in_view = [e for e in events if _in(e, tile)]
    assert len(in_view) == 40
    for _ in range(2):
        features = await features_of(capped_client, tile)
        ids = [f["properties"]["id"] for f in features]
        assert sorted(ids) == sorted(_rank(in_view)[:5])


async def test_no_tile_passes_500_kb(client: httpx.AsyncClient, store: EventStore) -> None:
    rng = random.Random(4)
    tile = tile_of(48.8566, 2.3522, 12)
    events = scatter(rng, 2500, *_centre(tile), 0.01)
    for n, e in enumerate(events):
        e.popularity = rng.randrange(1000)
        e.title = f"{n:04d} " + "x" * 195  # distinct: MVT stores a repeated value once
    await store.add(events)
    assert all(_in(e, tile) for e in events)
    response = await get_tile(client, tile, **{"accept-encoding": "identity"})
    assert 400_000 < len(response.content) <= 500_000
    ids = [f["properties"]["id"] for f in decode(response.content)]
    assert len(ids) < len(events)
    assert sorted(ids) == sorted(_rank(events)[: len(ids)])  # a prefix of the rank order
    low = await get_tile(client, tile_of(48.8566, 2.3522, 3), **{"accept-encoding": "identity"})
    assert len(low.content) < 100_000


async def test_the_size_guard_rerenders_with_fewer_features(
    client: httpx.AsyncClient, store: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(5)
    tile = tile_of(48.8566, 2.3522, 14)
    events = scatter(rng, 60, *_centre(tile), 0.001, title="y" * 120)
    await store.add(events)
    monkeypatch.setattr(service_module, "MAX_TILE_BYTES", 3000)  # the estimate in SQL still allows 60
    monkeypatch.setattr(sql_module, "POINT_BYTES_BUDGET", 10**9)
    response = await get_tile(client, tile, **{"accept-encoding": "identity"})
    assert 0 < len(response.content) <= 3000
    ids = [f["properties"]["id"] for f in decode(response.content)]
    assert sorted(ids) == sorted(_rank(events)[: len(ids)])


@pytest.mark.parametrize("query", ["", "category=music&free=false&price_max=2000&min_popularity=1&starts_after="
                                   "2030-01-01T00:00:00Z&starts_before=2031-01-01T00:00:00Z"])
async def test_cluster_tiles_read_only_the_tile_index(clean_db: str, store: EventStore, query: str) -> None:
    """``events_tile_idx`` (migration 0004) covers everything the cluster SQL reads: no heap access needed."""
    import psycopg

    from tiles.filters import parse_filters

    await store.add(scatter(random.Random(6), 50, 48.85, 2.35, 0.5))
    rolled_up = sql_module.tile_query(Tile(3, 4, 2), parse_filters(query), TileSettings())
    statement = rolled_up.fallback or rolled_up  # the tile made from events
    with psycopg.connect(clean_db, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE events")
    with psycopg.connect(clean_db) as conn:  # one transaction, rolled back: other indexes only for a moment
        others = conn.execute(
            "SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid = 'events'::regclass "
            "AND indexrelid <> 'events_tile_idx'::regclass AND NOT indisprimary"
        ).fetchall()
        for (name,) in others:
            conn.execute(f"DROP INDEX {name}")
        if conn.execute("SELECT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus')").fetchone() == (True,):
            # On Citus the workers plan the shards' part: the settings below go to them too.
            conn.execute("SET LOCAL citus.propagate_set_commands = 'local'")
        conn.execute("SET LOCAL enable_seqscan = off")
        conn.execute("SET LOCAL enable_bitmapscan = off")
        plan = "\n".join(row[0] for row in conn.execute("EXPLAIN " + statement.sql, statement.params))
        conn.rollback()
    assert "Index Only Scan using" in plan and "px_py" in plan, plan  # possible only if the index covers it all
    assert "Index Scan using" not in plan and " Seq Scan" not in plan, plan


@pytest.mark.parametrize(
    ("tile", "query", "generic"),
    [
        (Tile(0, 0, 0), "", True),
        (Tile(5, 16, 11), "category=music&free=true&price_max=100&min_popularity=2", True),
        (Tile(5, 16, 11), "q=jazz", False),  # the text's selectivity picks the plan
        (Tile(5, 16, 11), "tag=piano", False),
        (Tile(6, 32, 22), "", True),  # read from tile_rollup_fine (migration 0012)
        (Tile(6, 32, 22), "free=true", False),  # from COVER_MIN_ZOOM the cover prunes partitions: custom plans
        (Tile(14, 8300, 5600), "", False),  # points
    ],
)
def test_only_wide_cluster_tiles_read_from_the_index_alone_share_a_generic_plan(
    tile: Tile, query: str, generic: bool
) -> None:
    from tiles.filters import parse_filters

    assert sql_module.tile_query(tile, parse_filters(query), TileSettings()).generic is generic


@pytest.mark.parametrize(
    ("generic", "plans", "sort"), [(True, "force_generic_plan", "off"), (False, "force_custom_plan", "on")]
)
async def test_each_tile_runs_on_a_connection_in_its_planning_mode(
    app: FastAPI, request: pytest.FixtureRequest, generic: bool, plans: str, sort: str
) -> None:
    """``TilePools.fetch`` picks the pool by ``TileQuery.generic``; the mode is the session's own (on Citus
    the wide tiles' connections plan per statement too: ``tiles.service.plan_on_citus``)."""
    if request.config.getoption("--citus"):
        plans = "force_custom_plan"
    probe = sql_module.TileQuery(
        "SELECT current_setting('plan_cache_mode') || ' ' || current_setting('enable_sort') || ' '"
        " || current_setting('jit') AS mvt, 0 AS features, false AS truncated",
        {},
        clustered=True,
        generic=generic,
    )
    row = await app.state.tiles.pools.fetch(probe)
    assert row["mvt"] == f"{plans} {sort} off"


def test_a_fallback_must_plan_as_its_statement_does() -> None:
    live = sql_module.TileQuery("SELECT 1", {}, clustered=True, generic=False)
    with pytest.raises(ValueError, match="plan the same way"):
        sql_module.TileQuery("SELECT 2", {}, clustered=True, generic=True, fallback=live)

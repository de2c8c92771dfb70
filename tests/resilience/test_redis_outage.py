"""Redis killed under load: not one error (tiles are rendered from the database, lists never needed it),
and the cache is used again once Redis is back."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import Awaitable, Callable

import httpx
import psycopg
import pytest
from psycopg.rows import dict_row
from redis.asyncio import Redis
from redis.exceptions import RedisError

from app.events.filters import Filters
from app.main import create_app
from config.settings import RedisSettings
from tests.conftest import make_settings
from tests.fixtures.private_servers import PrivateRedis
from tests.resilience.load import Load, Picker, Records, Request
from tests.tiles.conftest import EventStore, scatter
from tiles.grid import Tile, tile_of
from tiles.rendered import RenderedTile
from tiles.service import TileService

pytestmark = pytest.mark.outage

PARIS = (48.8566, 2.3522)
SPREAD = 0.05
BEFORE_S, DOWN_S, AFTER_S = 2.0, 3.0, 2.0
POLL_TRIES, POLL_EVERY_S = 80, 0.1


async def seed(url: str) -> list[uuid.UUID]:
    async with await psycopg.AsyncConnection.connect(url, row_factory=dict_row, autocommit=True) as conn:
        cur = await conn.execute("INSERT INTO organizers (name) VALUES ('Redis outage test') RETURNING id")
        row = await cur.fetchone()
        assert row is not None
        events = await EventStore(conn, row["id"]).add(scatter(random.Random(11), 300, *PARIS, SPREAD))
    return [event.id for event in events]


def picker(ids: list[uuid.UUID]) -> tuple[list[str], Picker]:
    lat, lon = PARIS
    bbox = f"{lon - SPREAD},{lat - SPREAD},{lon + SPREAD},{lat + SPREAD}"
    rng = random.Random(3)
    # A fixed set of tiles, so that most requests are cache hits while Redis is there.
    tiles = sorted({str(tile_of(lat + rng.uniform(-SPREAD, SPREAD), lon + rng.uniform(-SPREAD, SPREAD), z))
                    for z in (11, 13, 14) for _ in range(6)})  # fmt: skip

    def pick(rng: random.Random) -> Request:
        roll = rng.random()
        if roll < 0.6:
            return ("tile", "GET", f"/tiles/events/{rng.choice(tiles)}.mvt")
        if roll < 0.8:
            return ("list", "GET", f"/api/v1/events?bbox={bbox}&limit=20")
        if roll < 0.9:
            return ("nearby", "GET", f"/api/v1/events/nearby?lat={lat}&lon={lon}&radius_m=3000")
        return ("detail", "GET", f"/api/v1/events/{rng.choice(ids)}")

    return tiles, pick


async def poll(check: Callable[[], Awaitable[bool]], what: str) -> None:
    for _ in range(POLL_TRIES):
        if await check():
            return
        await asyncio.sleep(POLL_EVERY_S)
    raise AssertionError(f"not within {POLL_TRIES * POLL_EVERY_S:.0f}s: {what}")


async def test_a_redis_restart_costs_no_request_and_the_cache_comes_back(
    clean_db: str, redis_prefix: str, private_redis: PrivateRedis
) -> None:
    ids = await seed(clean_db)
    settings = make_settings(clean_db, redis_prefix)
    settings.redis = RedisSettings(url=private_redis.url, key_prefix=redis_prefix)
    app = create_app(settings)
    tiles, pick = picker(ids)
    renders: list[float] = []
    with Records() as logs:
        async with app.router.lifespan_context(app):
            await app.state.pool.wait()
            service: TileService = app.state.tiles
            original = service.render

            async def counting(tile: Tile, filters: Filters) -> RenderedTile:
                renders.append(time.monotonic())
                return await original(tile, filters)

            service.render = counting  # type: ignore[method-assign]
            redis = app.state.redis
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                load = Load(client, pick, clients=6)
                load.start()
                try:
                    await poll(lambda: _near_cache_live(service), "the near cache is live")
                    await asyncio.sleep(BEFORE_S)
                    down_from = time.monotonic()
                    await asyncio.to_thread(private_redis.kill)
                    await asyncio.sleep(DOWN_S)
                    back_at = time.monotonic()
                    await asyncio.to_thread(private_redis.start)
                    # The cache resumes: the near cache is live again, and a tile not seen before is
                    # stored in the new Redis (those rendered just before may stay in the near cache only).
                    await poll(lambda: _near_cache_live(service), "the near cache is live again")
                    await poll(lambda: _stored(client, service, redis, redis_prefix), "a new tile stored in Redis")
                    resumed_at = time.monotonic()
                    await asyncio.sleep(AFTER_S)
                finally:
                    await load.stop()

    answers = load.answers
    during = [a for a in answers if a.overlaps(down_from, back_at)]
    print(f"{len(answers)} answers: {load.summary()}; renders: {len(renders)}")
    assert answers and all(a.ok for a in answers), [a for a in answers if not a.ok][:5]
    assert not logs.with_traceback(), logs.with_traceback()[:3]
    assert {a.kind for a in during} >= {"tile", "list", "nearby", "detail"}
    # While Redis is away every tile is rendered from the database; once it is back, hits again:
    # the fixed set of tiles is rendered at most once more each.
    assert sum(down_from < t < back_at for t in renders) > 0
    assert sum(t > resumed_at for t in renders) <= len(tiles)
    assert [a for a in answers if a.kind == "tile" and a.started > resumed_at]


async def _near_cache_live(service: TileService) -> bool:
    return service.cache.near.live


async def _stored(client: httpx.AsyncClient, service: TileService, redis: Redis, prefix: str) -> bool:
    """Whether a tile asked for now (under filters nobody used yet) lands in Redis."""
    unused = 1_000_000_000 + time.monotonic_ns() % 1_000_000_000
    response = await client.get(f"/tiles/events/{tile_of(*PARIS, 14)}.mvt?min_popularity={unused}")
    assert response.status_code == 204  # no event is that popular; empty tiles are cached too
    await service.cache.settle()
    try:
        return bool([key async for key in redis.scan_iter(match=f"{prefix}tile:*", count=1000)])
    except RedisError:
        return False

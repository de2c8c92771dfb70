"""The tile cache: fresh after every kind of write, untouched elsewhere, one query per miss, optional."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

import httpx
import psycopg
import pytest
from fastapi import FastAPI
from psycopg.rows import dict_row
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from app.db import UnitOfWorkDep
from app.errors import Conflict
from app.events import service as events
from app.events.changes import EventChange
from app.events.schemas import EventUpdate, Point
from app.main import create_app
from config.settings import RedisSettings, Settings
from tests.conftest import REDIS_URL, make_settings
from tests.tiles.conftest import Event, EventStore, RenderCounter, decode, features_of, get_tile
from tiles import cache as cache_module
from tiles.cache import TileCache, invalidate, tiles_to_invalidate
from tiles.filters import parse_filters
from tiles.grid import Tile, tile_of
from tiles.rendered import RenderedTile
from tiles.service import TileService

PARIS = (48.8566, 2.3522)
LYON = (45.7640, 4.8357)
TOKYO = (35.6762, 139.6503)
ZOOMS = (0, 2, 5, 8, 11, 12, 14, 17)


async def _write(url: str, action: Any) -> EventChange:
    """Run a write-path service call in its own committed transaction, as a write endpoint would."""
    async with await psycopg.AsyncConnection.connect(url, row_factory=dict_row) as conn, conn.transaction():
        result = await action(conn)
    return result if isinstance(result, EventChange) else result[1]


async def _titles(client: httpx.AsyncClient, tile: Tile) -> dict[str, str]:
    return {f["properties"]["id"]: f["properties"].get("title", "") for f in await features_of(client, tile)}


async def _count(client: httpx.AsyncClient, tile: Tile) -> int:
    features = await features_of(client, tile)
    return sum(f["properties"].get("count", 1) for f in features if f["properties"]["cluster"] or _in(f))


def _in(feature: dict[str, Any]) -> bool:
    x, y = feature["geometry"]["coordinates"]
    return 0 <= x < 4096 and 0 <= y < 4096


async def test_an_edit_shows_at_once_and_unrelated_tiles_stay_cached(
    app: FastAPI, client: httpx.AsyncClient, store: EventStore, renders: RenderCounter, clean_db: str
) -> None:
    edited, other = await store.add([Event(*PARIS, title="Before"), Event(*TOKYO, title="Elsewhere")])
    paris = [tile_of(*PARIS, z) for z in ZOOMS]
    tokyo = [tile_of(*TOKYO, z) for z in ZOOMS if tile_of(*TOKYO, z) not in paris]
    for tile in paris + tokyo:
        await features_of(client, tile)
        await features_of(client, tile)
    assert renders.count() == len(paris) + len(tokyo)  # the second round came from the cache

    change = await _write(clean_db, lambda c: events.update_event(c, edited.id, EventUpdate(title="After")))
    await app.state.tiles.event_changed(change)

    assert (await _titles(client, tile_of(*PARIS, 14)))[str(edited.id)] == "After"
    for tile in paris:
        await features_of(client, tile)
        assert renders.count(tile) == 2, tile  # re-rendered once after the edit
    for tile in tokyo:
        await features_of(client, tile)
        assert renders.count(tile) == 1, tile  # still served from the cache
    assert (await _titles(client, tile_of(*TOKYO, 14)))[str(other.id)] == "Elsewhere"


async def test_a_move_clears_the_old_and_the_new_place_at_every_zoom(
    app: FastAPI, client: httpx.AsyncClient, store: EventStore, clean_db: str
) -> None:
    (moved,) = await store.add([Event(*PARIS)])
    await store.add([Event(*LYON)])
    for z in ZOOMS:  # warm both places
        await features_of(client, tile_of(*PARIS, z))
        await features_of(client, tile_of(*LYON, z))
    target = Point(lat=LYON[0], lon=LYON[1])
    change = await _write(clean_db, lambda c: events.update_event(c, moved.id, EventUpdate(location=target)))
    await app.state.tiles.event_changed(change)
    for z in ZOOMS:
        paris, lyon = tile_of(*PARIS, z), tile_of(*LYON, z)
        if paris == lyon:
            assert await _count(client, paris) == 2
        else:
            assert (await _count(client, paris), await _count(client, lyon)) == (0, 2), z


async def test_cancel_create_and_delete_show_at_once(
    app: FastAPI, client: httpx.AsyncClient, store: EventStore, clean_db: str
) -> None:
    (event,) = await store.add([Event(*PARIS)])
    tile, low = tile_of(*PARIS, 15), tile_of(*PARIS, 3)
    assert await _count(client, tile) == 1 and await _count(client, low) == 1

    change = await _write(clean_db, lambda c: events.update_event(c, event.id, EventUpdate(status="cancelled")))
    await app.state.tiles.event_changed(change)
    (feature,) = await features_of(client, tile)
    assert feature["properties"]["status"] == "cancelled"  # still listed, as in the list API

    change = await _write(clean_db, lambda c: events.update_event(c, event.id, EventUpdate(status="draft")))
    await app.state.tiles.event_changed(change)
    assert await _count(client, tile) == 0 and await _count(client, low) == 0

    change = await _write(clean_db, lambda c: events.delete_event(c, event.id))
    await app.state.tiles.event_changed(change)
    assert (await get_tile(client, tile)).status_code == 204


async def test_a_point_near_an_edge_clears_the_neighbour_that_draws_it(
    app: FastAPI, client: httpx.AsyncClient, store: EventStore, clean_db: str
) -> None:
    tile = tile_of(*PARIS, 15)
    box = tile.bbox()
    near_edge = (box.south + box.north) / 2, box.east - (box.east - box.west) / 4096 * 5  # in the buffer of x+1
    (event,) = await store.add([Event(*near_edge, title="Before")])
    neighbour = Tile(15, tile.x + 1, tile.y)
    assert [f["properties"]["title"] for f in await features_of(client, neighbour)] == ["Before"]
    change = await _write(clean_db, lambda c: events.update_event(c, event.id, EventUpdate(title="After")))
    await app.state.tiles.event_changed(change)
    assert [f["properties"]["title"] for f in await features_of(client, neighbour)] == ["After"]


def test_invalidation_targets_are_the_tiles_showing_the_points() -> None:
    tiles = tiles_to_invalidate([Point(lat=PARIS[0], lon=PARIS[1])], max_zoom=22, cluster_below_zoom=12)
    assert {t.z for t in tiles} == set(range(23))
    assert all(tile_of(*PARIS, z) in tiles for z in range(23))
    assert len(tiles) < 23 * 2  # a point away from edges: (almost) one tile per zoom


async def test_hits_ask_redis_at_most_once_and_keys_carry_the_prefix(
    app: FastAPI, client: httpx.AsyncClient, store: EventStore, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    await store.add([Event(*PARIS)])
    tile = tile_of(*PARIS, 14)
    await _live(app.state.tiles)
    await features_of(client, tile)  # a miss: rendered, stored in Redis and in this process
    await app.state.tiles.cache.settle()  # the miss's write to Redis has landed
    redis: Redis = app.state.redis
    calls: list[str] = []
    original = redis.execute_command

    async def spy(*args: Any, **kwargs: Any) -> Any:
        calls.append(str(args[0]))
        return await original(*args, **kwargs)

    monkeypatch.setattr(redis, "execute_command", spy)
    await features_of(client, tile)
    assert calls == []  # the near cache answered
    other = await TileService.start(settings, redis)  # another process: its near cache is empty
    try:
        await _live(other)
        assert (await other.tile(tile, parse_filters(""))).features == 1
        assert calls == ["EVALSHA"]  # one round trip, no query
        await other.tile(tile, parse_filters(""))
        assert calls == ["EVALSHA"]
    finally:
        await other.aclose()
    monkeypatch.undo()
    prefix = settings.redis.key_prefix
    assert [key async for key in redis.scan_iter(match=f"{prefix}tile:*", count=1000)]
    assert [key async for key in redis.scan_iter(match=f"{prefix}tilegen:*", count=1000)] == []  # no write yet
    assert not [key async for key in redis.scan_iter(match="tile*", count=1000)]


async def test_an_edit_through_another_process_reaches_this_near_cache(
    app: FastAPI, client: httpx.AsyncClient, store: EventStore, settings: Settings, clean_db: str
) -> None:
    (event,) = await store.add([Event(*PARIS, title="Before")])
    tile = tile_of(*PARIS, 14)
    here: TileService = app.state.tiles
    await _live(here)
    assert list((await _titles(client, tile)).values()) == ["Before"]
    assert here.cache.nearby(tile, parse_filters("").digest) is not None
    writer = await TileService.start(settings, app.state.redis)  # the process that took the edit
    try:
        change = await _write(clean_db, lambda c: events.update_event(c, event.id, EventUpdate(title="After")))
        version = here.cache.near.version
        await writer.event_changed(change)
        await _delivered(here, version)
    finally:
        await writer.aclose()
    assert here.cache.nearby(tile, parse_filters("").digest) is None
    assert list((await _titles(client, tile)).values()) == ["After"]


async def _live(service: TileService) -> None:
    """Wait for the near cache's subscription (a fresh process takes a moment to subscribe)."""
    for _ in range(200):
        if service.cache.near.live:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the near cache never subscribed")


async def _delivered(service: TileService, version: int) -> None:
    """Wait until an invalidation message reached ``service`` (another process's publish)."""
    for _ in range(200):
        if service.cache.near.version != version:
            return
        await asyncio.sleep(0.005)
    raise AssertionError("the invalidation never arrived")


class SlowRenders:
    """Makes every render of the services it patches take ``seconds`` more, and notes who began one."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, seconds: float = 0.05) -> None:
        self.monkeypatch = monkeypatch
        self.seconds = seconds
        self.began: list[str] = []  # the name of the service, per render begun
        self.started = asyncio.Event()  # set when the first render begins

    def patch(self, service: TileService, name: str = "") -> None:
        original = service.render

        async def slow(tile: Tile, filters: Any) -> Any:
            self.began.append(name)
            self.started.set()
            await asyncio.sleep(self.seconds)
            return await original(tile, filters)

        self.monkeypatch.setattr(service, "render", slow)


async def test_concurrent_misses_make_one_query(
    app: FastAPI, client: httpx.AsyncClient, store: EventStore, renders: RenderCounter, monkeypatch: pytest.MonkeyPatch
) -> None:
    await store.add([Event(*PARIS)])
    tile = tile_of(*PARIS, 13)
    SlowRenders(monkeypatch).patch(app.state.tiles)
    responses = await asyncio.gather(*(get_tile(client, tile) for _ in range(20)))
    assert {r.status_code for r in responses} == {200}
    assert len({r.content for r in responses}) == 1
    assert renders.count() == 1


async def test_a_requester_that_goes_away_leaves_the_render_to_the_others(
    app: FastAPI, store: EventStore, renders: RenderCounter, monkeypatch: pytest.MonkeyPatch
) -> None:
    await store.add([Event(*PARIS)])
    tile, filters = tile_of(*PARIS, 13), parse_filters("")
    service: TileService = app.state.tiles
    slow = SlowRenders(monkeypatch)
    slow.patch(service)
    first = asyncio.create_task(service.tile(tile, filters))  # renders in its own task
    await slow.started.wait()
    others = [asyncio.create_task(service.tile(tile, filters)) for _ in range(3)]
    await asyncio.sleep(0.01)  # the others have joined the first one's render
    first.cancel()
    results = await asyncio.gather(*others)
    assert first.cancelled()
    assert len({r.etag for r in results}) == 1 and not results[0].empty
    assert renders.count() == 1  # the first render was cut off in its sleep, before its query
    await service.cache.settle()
    service.cache.near.clear()
    seen = await service.cache.lookup(tile, filters.digest)
    assert seen.tile is not None and seen.tile.etag == results[0].etag  # stored, lock released


async def test_concurrent_misses_in_two_processes_make_one_query(
    app: FastAPI, settings: Settings, store: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    await store.add([Event(*PARIS)])
    tile, filters = tile_of(*PARIS, 13), parse_filters("")
    first: TileService = app.state.tiles
    second = await TileService.start(settings, app.state.redis)  # another API process, same Redis
    slow = SlowRenders(monkeypatch, seconds=0.1)
    try:
        slow.patch(first, "first")
        slow.patch(second, "second")
        results = await asyncio.gather(*(s.tile(tile, filters) for s in (first, second) for _ in range(5)))
    finally:
        await second.aclose()
    assert len(slow.began) == 1
    assert len({r.etag for r in results}) == 1


async def test_a_write_during_a_render_is_not_hidden_by_it(
    app: FastAPI, client: httpx.AsyncClient, store: EventStore, clean_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The body is stored under the stamp read before the query: a bump meanwhile makes it unreachable."""
    (event,) = await store.add([Event(*PARIS, title="Before")])
    tile = tile_of(*PARIS, 14)
    service: TileService = app.state.tiles
    original = service.render

    async def render_then_edit(tile: Tile, filters: Any) -> Any:
        result = await original(tile, filters)  # reads "Before"
        change = await _write(clean_db, lambda c: events.update_event(c, event.id, EventUpdate(title="After")))
        await service.event_changed(change)  # lands before the stale body is stored
        return result

    monkeypatch.setattr(service, "render", render_then_edit)
    assert list((await _titles(client, tile)).values()) == ["Before"]
    monkeypatch.setattr(service, "render", original)
    assert list((await _titles(client, tile)).values()) == ["After"]


async def test_a_late_render_under_an_older_stamp_keeps_neither_the_newer_body_nor_a_foreign_lock(
    app: FastAPI, settings: Settings
) -> None:
    """A render that outlived an edit must not replace the body rendered since, nor free a lock it does not hold."""
    cache: TileCache = app.state.tiles.cache
    tile, digest = tile_of(*PARIS, 14), parse_filters("").digest
    point = Point(lat=PARIS[0], lon=PARIS[1])
    redis = Redis.from_url(REDIS_URL)
    try:
        older = await cache.lookup(tile, digest)  # takes the lock for the current stamp
        assert older.render and await redis.get(cache.keys.lock(tile, digest)) == older.stamp
        await invalidate(redis, settings, EventChange(UUID(int=1), "updated", point, point))
        newer = await cache.lookup(tile, digest)  # the lock is held for the older stamp: render anyway
        assert newer.render and newer.stamp != older.stamp
        cache.store(tile, digest, newer, RenderedTile(b"new", '"new"', 1, False))
        await cache.settle()
        assert await redis.get(cache.keys.lock(tile, digest)) == older.stamp  # not the newer render's to free
        cache.store(tile, digest, older, RenderedTile(b"old", '"old"', 1, False))
        await cache.settle()
        assert not await redis.exists(cache.keys.lock(tile, digest))  # its own lock, freed
        cache.near.clear()
        seen = await cache.lookup(tile, digest)
    finally:
        await redis.aclose()
    assert seen.tile is not None and seen.tile.etag == '"new"'


@pytest.fixture
async def no_redis_app(clean_db: str, redis_prefix: str) -> AsyncIterator[FastAPI]:
    dead = RedisSettings(url="redis://127.0.0.1:1/0", key_prefix=redis_prefix)
    settings = make_settings(clean_db, redis_prefix).model_copy(update={"redis": dead})
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


async def test_without_redis_tiles_come_from_the_database(
    no_redis_app: FastAPI, store: EventStore, clean_db: str, caplog: pytest.LogCaptureFixture
) -> None:
    (event,) = await store.add([Event(*PARIS, title="Before")])
    tile = tile_of(*PARIS, 14)
    transport = httpx.ASGITransport(app=no_redis_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        with caplog.at_level(logging.WARNING, logger="happenings.tiles.cache"):
            for _ in range(3):
                assert list((await _titles(client, tile)).values()) == ["Before"]
            change = await _write(clean_db, lambda c: events.update_event(c, event.id, EventUpdate(title="After")))
            await no_redis_app.state.tiles.event_changed(change)  # fails quietly
            assert list((await _titles(client, tile)).values()) == ["After"]
            assert (await get_tile(client, Tile(0, 0, 0))).status_code == 200
    unavailable = [r for r in caplog.records if "unavailable" in r.getMessage()]
    assert len(unavailable) == 1  # logged once per outage, not per request


async def test_a_failed_invalidation_drops_every_entry_once_redis_answers(
    app: FastAPI, client: httpx.AsyncClient, store: EventStore, renders: RenderCounter, clean_db: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (event,) = await store.add([Event(*PARIS, title="Before")])
    tile = tile_of(*PARIS, 14)
    await features_of(client, tile)

    async def unreachable(*args: Any, **kwargs: Any) -> int:
        raise RedisConnectionError("down")

    monkeypatch.setattr(cache_module, "invalidate", unreachable)
    change = await _write(clean_db, lambda c: events.update_event(c, event.id, EventUpdate(title="After")))
    await app.state.tiles.event_changed(change)  # the tile's generation did not move...
    assert list((await _titles(client, tile)).values()) == ["After"]  # ...but the cache is not trusted
    for _ in range(100):
        if app.state.tiles.cache.usable:
            break
        await asyncio.sleep(0.01)
    assert app.state.tiles.cache.usable  # the epoch moved: every older entry is dead
    before = renders.count()
    assert list((await _titles(client, tile)).values()) == ["After"]
    assert list((await _titles(client, tile)).values()) == ["After"]
    assert renders.count() == before + 1


async def test_the_module_function_invalidates_like_the_service(
    app: FastAPI, client: httpx.AsyncClient, store: EventStore, settings: Settings, renders: RenderCounter
) -> None:
    (event,) = await store.add([Event(*PARIS)])
    tile = tile_of(*PARIS, 9)
    await features_of(client, tile)
    point = Point(lat=PARIS[0], lon=PARIS[1])
    version = app.state.tiles.cache.near.version
    bumped = await invalidate(app.state.redis, settings, EventChange(event.id, "updated", point, point))
    assert tile in bumped and len(bumped) >= 23
    await _delivered(app.state.tiles, version)  # published: this process hears it like any other
    await features_of(client, tile)
    assert renders.count(tile) == 2


async def test_generation_keys_outlive_the_bodies(
    app: FastAPI, client: httpx.AsyncClient, store: EventStore, settings: Settings
) -> None:
    (event,) = await store.add([Event(*PARIS)])
    tile = tile_of(*PARIS, 9)
    await features_of(client, tile)
    point = Point(lat=PARIS[0], lon=PARIS[1])
    await invalidate(app.state.redis, settings, EventChange(event.id, "updated", point, point))
    cache: TileCache = app.state.tiles.cache
    redis = Redis.from_url(REDIS_URL)
    try:
        generation_ttl = await redis.ttl(cache.keys.generation(tile))
        await features_of(client, tile)
        await cache.settle()
        body_ttl = await redis.ttl(cache.keys.body(tile, parse_filters("").digest))
    finally:
        await redis.aclose()
    assert 0 < body_ttl <= settings.tiles.cache_ttl_s < generation_ttl


async def test_write_endpoints_invalidate_after_commit(
    app: FastAPI, client: httpx.AsyncClient, store: EventStore, clean_db: str
) -> None:
    """A change published on the unit of work reaches the listeners after commit, before the response."""
    (event,) = await store.add([Event(*PARIS, title="Before")])
    tile = tile_of(*PARIS, 14)
    await features_of(client, tile)
    seen_at_dispatch: list[str] = []

    async def check_committed(change: EventChange) -> None:
        async with await psycopg.AsyncConnection.connect(clean_db) as other:
            cur = await other.execute("SELECT title FROM events WHERE id = %s", (event.id,))
            seen_at_dispatch.append((await cur.fetchone())[0])  # type: ignore[index]

    app.state.after_commit.listen(EventChange, check_committed)

    async def rename(event_id: UUID, title: str, work: UnitOfWorkDep) -> dict[str, str]:
        _, change = await events.update_event(work.conn, event_id, EventUpdate(title=title))
        work.publish(change)
        return {"ok": "yes"}

    async def rename_then_fail(event_id: UUID, title: str, work: UnitOfWorkDep) -> dict[str, str]:
        _, change = await events.update_event(work.conn, event_id, EventUpdate(title=title))
        work.publish(change)
        raise Conflict("changed my mind")

    app.add_api_route("/test/rename/{event_id}", rename, methods=["POST"])
    app.add_api_route("/test/rename-then-fail/{event_id}", rename_then_fail, methods=["POST"])
    response = await client.post(f"/test/rename/{event.id}", params={"title": "After"})
    assert response.status_code == 200
    assert seen_at_dispatch == ["After"]
    assert list((await _titles(client, tile)).values()) == ["After"]

    response = await client.post(f"/test/rename/{UUID(int=1)}", params={"title": "Nope"})
    assert response.status_code == 404 and seen_at_dispatch == ["After"]  # a failed write publishes nothing
    response = await client.post(f"/test/rename-then-fail/{event.id}", params={"title": "Rolled back"})
    assert response.status_code == 409 and seen_at_dispatch == ["After"]  # published, rolled back: dropped
    assert list((await _titles(client, tile)).values()) == ["After"]


async def test_a_failing_listener_does_not_fail_a_committed_write(
    app: FastAPI, client: httpx.AsyncClient, store: EventStore
) -> None:
    (event,) = await store.add([Event(*PARIS, title="Before")])

    async def broken(change: EventChange) -> None:
        raise RuntimeError("listener bug")

    app.state.after_commit.listen(EventChange, broken)

    async def rename(event_id: UUID, work: UnitOfWorkDep) -> dict[str, str]:
        _, change = await events.update_event(work.conn, event_id, EventUpdate(title="After"))
        work.publish(change)
        return {"ok": "yes"}

    app.add_api_route("/test/rename/{event_id}", rename, methods=["POST"])
    assert (await client.post(f"/test/rename/{event.id}")).status_code == 200
    assert list((await _titles(client, tile_of(*PARIS, 14))).values()) == ["After"]  # tiles heard it too


async def test_each_filter_has_its_own_entry(client: httpx.AsyncClient, store: EventStore) -> None:
    await store.add([Event(*PARIS, category="music"), Event(PARIS[0] + 0.001, PARIS[1], category="food")])
    tile = tile_of(*PARIS, 14)
    assert len(await features_of(client, tile)) == 2
    assert len(await features_of(client, tile, "category=food")) == 1
    assert len(await features_of(client, tile, "category=music&category=food")) == 2
    assert len(await features_of(client, tile, "category=food&category=music&category=food")) == 2
    assert len(decode((await get_tile(client, tile, "category=food")).content)) == 1


async def test_the_lock_holder_renders_even_when_its_reply_comes_last(
    app: FastAPI, store: EventStore, renders: RenderCounter, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two lookups race; the one that took the Redis lock hears back after the one told to wait."""
    await store.add([Event(*PARIS)])
    tile, filters = tile_of(*PARIS, 13), parse_filters("")
    service: TileService = app.state.tiles
    original = service.cache.lookup
    calls = 0

    async def reordered(tile: Tile, digest: str) -> Any:
        nonlocal calls
        calls += 1
        first = calls == 1
        seen = await original(tile, digest)  # the first call takes the lock...
        if first:
            await asyncio.sleep(0.05)  # ...but its reply is processed last
        return seen

    monkeypatch.setattr(service.cache, "lookup", reordered)
    started = asyncio.get_running_loop().time()
    results = await asyncio.gather(service.tile(tile, filters), service.tile(tile, filters))
    assert asyncio.get_running_loop().time() - started < 2  # nobody waited for the lock to expire
    assert renders.count() == 1 and results[0].etag == results[1].etag

"""Rendering tiles: cache first, then one query per tile however many ask at once.

``TileService`` is made in the app's lifespan (``app.state.tiles``). It owns two small pools of
its own (``TilePools``): tile queries differ from the API's (a low-zoom miss reads every
partition), so they get a bulkhead that cannot starve the list API of connections, and settings
the API's pool lacks: ``jit = off`` (JIT compiling a 64-partition aggregate costs far more than
the query and saves nothing on it) and autocommit (a tile is one statement, its own snapshot). The wide
cluster tiles (``TileQuery.generic``) run on connections set up for one generic plan and hash
aggregation (on Citus they plan per statement too: ``plan_on_citus``); every other tile on connections
that plan each statement for its values (partition pruning). Each mode is a session setting, so a tile
is one round trip: no ``BEGIN``, ``SET LOCAL``, ``COMMIT`` around it (three more round trips).

Single flight: concurrent misses for the same tile, filters and cache stamp share one render
(a ``Flight``); across processes a short Redis lock makes the others wait for the body instead of
querying too. A requester whose stamp is newer (an edit landed meanwhile) never joins an older
render. Replies from Redis can come back in any order, so the requester that got the lock may find
a flight that is *waiting* for the body: it then renders itself and later requesters join it (the
waiting one sees the body when stored).

The first requester fills the flight in its own task, so its response is sent before anything
else runs: the Redis write its render starts (client CPU) comes after, not before. If
that requester goes away (cancelled), a task of its own takes the flight over, so the others
still get the tile and the Redis lock is released by a stored body, not by its expiry.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from dataclasses import dataclass
from functools import partial
from typing import Any

import psycopg
from psycopg.rows import DictRow
from psycopg_pool import AsyncConnectionPool, PoolTimeout
from redis.asyncio import Redis

from app.db import Conn, make_pool
from app.events.changes import EventChange
from app.events.filters import Filters
from app.events.repository import distributed
from app.kit.database_breaker import DatabaseBreaker, connection_lost
from config.settings import DatabaseSettings, Settings, TileSettings
from tiles.cache import Lookup, TileCache
from tiles.grid import Tile
from tiles.rendered import RenderedTile, compress
from tiles.rollup import RollupHorizon
from tiles.sql import MAX_TILE_BYTES, TileQuery, tile_query

log = logging.getLogger("happenings.tiles")

InflightKey = tuple[Tile, str, bytes | None]
# A generic-plan connection: one plan, prepared once, for every wide tile (no planning of 64
# partitions per miss); the plan estimates a handful of rows, so sorting is off to make it hash.
GENERIC_PLAN_SESSION = {"plan_cache_mode": "force_generic_plan", "enable_sort": "off"}


@dataclass(slots=True)
class Flight:
    """A tile being filled for one key; requesters that come later await ``result``."""

    result: asyncio.Future[RenderedTile]
    renders: bool  # False: it waits for another process's render


async def run_tile_query(conn: Conn, query: TileQuery) -> DictRow:
    """The statement's one row, on a connection of the planning mode ``query.generic`` names."""
    # Generic: prepared at once, its one plan is the point. Custom: psycopg prepares a statement
    # once it has run 5 times; each run is still planned for its values, but parsing is skipped.
    # Binary results: a bytea in text is hex, twice its size, encoded by the server and decoded
    # here (server and client CPU on every point tile).
    prepare = True if query.generic else None
    sql = query.citus_sql if query.citus_sql is not None and await distributed(conn) else query.sql
    cursor = await conn.execute(sql, query.params, prepare=prepare, binary=True)
    row = await cursor.fetchone()
    assert row is not None  # an aggregate always returns its row
    if query.fallback is not None and not row["complete"]:
        return await run_tile_query(conn, query.fallback)
    return row


def make_tile_pool(settings: DatabaseSettings, *, generic: bool = False) -> AsyncConnectionPool[Conn]:
    """Per-statement plans, ``jit = off``, autocommit; ``generic``: one generic plan per statement and no
    sorting instead (for ``TileQuery.generic``; on Citus still per-statement plans, see ``plan_on_citus``)."""
    session = {"jit": "off", **(GENERIC_PLAN_SESSION if generic else {})}
    name = "happenings-tiles-wide" if generic else "happenings-tiles"
    configure = plan_on_citus if generic else None
    return make_pool(
        settings, application_name="happenings-tiles", session=session, autocommit=True, name=name, configure=configure
    )


async def plan_on_citus(conn: Conn) -> None:
    """On a Citus coordinator, a wide-tile connection plans each statement for its values after all.

    Citus makes no distributed plan of a generic plan whose parameters reach a multi-shard subquery
    ("could not create distributed plan"), and the workers plan their shards' part of every run
    anyway. On a single node nothing changes, at the cost of one query per process (``distributed``
    remembers the answer).
    """
    if await distributed(conn):
        await conn.execute("SET plan_cache_mode = force_custom_plan")


class TilePools:
    """The tile bulkhead: connections that plan per statement, and connections for one generic plan.

    A lost database (``app.kit.database_breaker``): while it is down ``fetch`` answers 503 at once
    (tiles in the caches are still served); a tile query that finds its connection dead runs once
    more on a fresh one. No check before use: it would be a round trip on every miss.
    """

    def __init__(self, settings: DatabaseSettings, tile_settings: TileSettings, breaker: DatabaseBreaker) -> None:
        # One idle connection each: psycopg's pool hands out its idle connections in turn, and a
        # backend that served the previous tile has it all in its caches (two idle connections
        # in turn would send every other miss to a colder one). Under load the pools grow to their maximum.
        self.url = settings.url
        self.custom = make_tile_pool(settings.model_copy(update={"pool_min": 1}))
        wide = settings.model_copy(update={"pool_min": 1, "pool_max": tile_settings.wide_pool_max})
        self.generic = make_tile_pool(wide, generic=True)
        self.breaker = breaker
        breaker.watch(self.custom, self.generic)

    async def open(self) -> None:
        await self.custom.open(wait=False)
        await self.generic.open(wait=False)

    async def close(self) -> None:
        await self.custom.close()
        await self.generic.close()

    async def connect(self) -> Conn:
        """A connection outside the pools, set up as the per-statement ones (for maintenance)."""
        assert isinstance(self.custom.kwargs, dict)
        return await Conn.connect(self.url, **self.custom.kwargs)

    async def fetch(self, query: TileQuery) -> DictRow:
        """The query's row; ``DatabaseUnavailable`` (503) when the database cannot answer."""
        pool = self.generic if query.generic else self.custom
        try:
            return await self._fetch(pool, query)
        except psycopg.OperationalError as exc:
            if not connection_lost(exc):
                raise self.breaker.answer(exc) from None
            await self.breaker.recover(exc)
        try:
            return await self._fetch(pool, query)
        except psycopg.OperationalError as exc:
            raise self.breaker.answer(exc) from None

    async def _fetch(self, pool: AsyncConnectionPool[Conn], query: TileQuery) -> DictRow:
        self.breaker.ensure_up()
        try:
            async with pool.connection() as conn:
                return await run_tile_query(conn, query)
        except PoolTimeout as exc:
            self.breaker.notice(exc)
            raise self.breaker.unavailable() from None


class TileService:
    def __init__(self, pools: TilePools, cache: TileCache, settings: Settings) -> None:
        self.pools = pools
        self.cache = cache
        self.settings = settings
        self.horizon = RollupHorizon(pools.connect, settings.tiles)
        self._inflight: dict[InflightKey, Flight] = {}
        self._taken_over: set[asyncio.Task[RenderedTile]] = set()
        self._own_breaker: DatabaseBreaker | None = None

    @classmethod
    async def start(cls, settings: Settings, redis: Redis, breaker: DatabaseBreaker | None = None) -> TileService:
        """The service with its pools open; ``breaker``: the app's (a process of its own when None)."""
        own = None
        if breaker is None:
            breaker = own = DatabaseBreaker(settings.database)
        pools = TilePools(settings.database, settings.tiles, breaker)
        await pools.open()
        cache = TileCache(redis, settings)
        cache.start()
        service = cls(pools, cache, settings)
        service._own_breaker = own
        service.horizon.start()
        return service

    async def aclose(self) -> None:
        await self.horizon.aclose()
        if self._own_breaker is not None:
            await self._own_breaker.aclose()
        for task in list(self._taken_over):
            task.cancel()
        await self.cache.aclose()
        await self.pools.close()

    async def tile(self, tile: Tile, filters: Filters) -> RenderedTile:
        """The tile, from the cache when its entry is current, else rendered (once) and cached."""
        seen = await self.cache.lookup(tile, filters.digest)
        if seen.tile is not None:
            return seen.tile
        key = (tile, filters.digest, seen.stamp)
        current = self._inflight.get(key)
        if current is not None and not (seen.render and not current.renders):
            return await asyncio.shield(current.result)
        flight = Flight(asyncio.get_running_loop().create_future(), seen.render or seen.stamp is None)
        self._inflight[key] = flight
        try:
            rendered = await self._fill(tile, filters, seen)
        except asyncio.CancelledError:
            self._take_over(key, flight, self._fill(tile, filters, seen))
            raise
        except BaseException as exc:
            self._land(key, flight, exc)
            raise
        self._land(key, flight, rendered)
        return rendered

    async def event_changed(self, change: EventChange) -> None:
        """Drop the cached tiles that show the change's old or new place. Call after commit."""
        await self.cache.invalidate(change)

    async def render(self, tile: Tile, filters: Filters) -> RenderedTile:
        """Query the database for the tile and compress it; never reads or writes the cache."""
        limit: int | None = None
        while True:
            mvt, features, truncated = await self._query(tile_query(tile, filters, self.settings.tiles, limit=limit))
            if len(mvt) <= MAX_TILE_BYTES or features <= 1:
                break
            # The size estimate missed (very long titles): keep proportionally fewer, in rank order.
            limit = max(1, features * MAX_TILE_BYTES // len(mvt) * 9 // 10)
            log.warning("tile %s over %d bytes with %d features; retrying with %d", tile, len(mvt), features, limit)
        return await compress(mvt, features, truncated or limit is not None)

    async def _fill(self, tile: Tile, filters: Filters, seen: Lookup) -> RenderedTile:
        if not seen.render and seen.stamp is not None:
            rendered = await self.cache.wait_for(tile, filters.digest, seen.stamp)
            if rendered is not None:
                return rendered
        try:
            rendered = await self.render(tile, filters)
        except Exception:
            self.cache.abandon(tile, filters.digest, seen)
            raise
        self.cache.store(tile, filters.digest, seen, rendered)
        return rendered

    async def _query(self, query: TileQuery) -> tuple[bytes, int, bool]:
        row = await self.pools.fetch(query)
        return bytes(row["mvt"] or b""), row["features"], row["truncated"]

    def _take_over(self, key: InflightKey, flight: Flight, fill: Coroutine[Any, Any, RenderedTile]) -> None:
        """Finish ``flight`` in a task of its own (its requester went away)."""
        task = asyncio.create_task(fill)
        self._taken_over.add(task)
        task.add_done_callback(partial(self._taken_over_done, key, flight))

    def _taken_over_done(self, key: InflightKey, flight: Flight, task: asyncio.Task[RenderedTile]) -> None:
        self._taken_over.discard(task)
        if task.cancelled():
            self._land(key, flight, None)
        else:
            self._land(key, flight, task.exception() or task.result())

    def _land(self, key: InflightKey, flight: Flight, outcome: RenderedTile | BaseException | None) -> None:
        """Hand ``outcome`` (None: cancelled) to the requesters that joined ``flight``."""
        if self._inflight.get(key) is flight:
            del self._inflight[key]
        if outcome is None:
            flight.result.cancel()
        elif isinstance(outcome, BaseException):
            flight.result.set_exception(outcome)
            flight.result.exception()  # retrieved: every joiner sees it, or none is left to care
        else:
            flight.result.set_result(outcome)

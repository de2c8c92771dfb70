"""The tile cache: Redis shared by every API process, a near cache in each, never stale, never required.

Redis keys (all under ``RedisSettings.key_prefix``):

- ``tile:{z}/{x}/{y}:{filters digest}`` — one rendered tile: a header line
  ``{stamp} {features} {truncated} {etag}`` and the gzipped MVT (empty for an empty tile);
  expires after ``cache_ttl_s``.
- ``tilegen:{z}/{x}/{y}`` — the tile's generation: bumped whenever an event inside the tile
  (or, at point zooms, within its symbol buffer) is created, edited, moved, cancelled or deleted.
- ``tilegen:epoch`` — bumped to drop every tile at once (after a failed invalidation).
- ``tilelock:{z}/{x}/{y}:{filters digest}`` — held (value: the stamp) while one process renders.
- channel ``tiles:invalidated`` — the tiles of each bump, for the near caches (``tiles.nearcache``).

A body is served only when the stamp in its header equals the current ``{epoch}.{generation}``;
one script call (``LOOKUP``) reads all three and, on a miss, takes the tile's render lock in the
same round trip (concurrent misses in other processes then wait for the body instead of querying;
a lock held for an older stamp makes nobody wait). A write bumps, for each of its old and new
points and each zoom 0..max_zoom, the generation of the tiles that show the point, and publishes
them, in one MULTI: exactly those tiles miss next time, every other tile keeps its entry. A near-cache hit asks Redis
nothing; the process's subscription removes the entry before any later request can see it.

A rendered tile is served at once; its write to Redis finishes in the background (``settle`` waits
for it). That write is one script call (``STORE``): the body is kept only if its stamp is still the
current one (a body under an older stamp would never be served, and could replace a newer body),
and the lock is freed only if it is held for that stamp (not one another process took since).
A render that fails (the database is away) frees its lock the same way (``RELEASE``): requesters
then render themselves, and fail as fast, instead of waiting out the lock for a body that never comes.

Races: the stamp is read *before* the database query and the body is written under it, so a
bump that lands while the query runs leaves the body under a stamp nobody matches any more (and
the near cache refuses it: its version moved). Generation keys live twice as long as bodies and
their TTL is renewed on every bump, so a generation never vanishes (and restarts at 0) while a
body written under an older value exists.

Redis down: reads and writes are skipped for ``RETRY_AFTER_S`` after a failure (logged once per
outage), the near cache is off (no subscription), and tiles come from the database. An
invalidation that fails leaves this process unable to trust the cache: it stops using it and keeps
trying to bump the epoch; once that succeeds every entry written before is dead, everywhere.
Invalidation must run after the writing transaction commits.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError

from app.events.changes import EventChange
from app.events.schemas import Point
from config.settings import Settings
from tiles.grid import POINT_BUFFER, Tile, tiles_showing
from tiles.nearcache import EVERYTHING, NearCache, Subscription, invalidation_message
from tiles.rendered import RenderedTile

log = logging.getLogger("happenings.tiles.cache")

RETRY_AFTER_S = 1.0
# Generation keys outlive any body written under them (bodies live cache_ttl_s).
GENERATION_TTL_FACTOR = 2
# A render elsewhere holds the lock at most this long; waiters then render themselves.
LOCK_TTL_MS = 5_000
LOCK_POLL_S = 0.005
REDIS_ERRORS = (RedisError, OSError, asyncio.TimeoutError)

# KEYS: epoch, generation, body, lock. ARGV: lock TTL (ms).
# Returns {stamp, body or false, 1 if the caller should render / 0 if another process is rendering}.
LOOKUP = """
local found = redis.call('MGET', KEYS[1], KEYS[2], KEYS[3])
local stamp = (found[1] or '0') .. '.' .. (found[2] or '0')
local body = found[3]
if body and string.sub(body, 1, #stamp + 1) == stamp .. ' ' then
    return {stamp, body, 0}
end
if redis.call('SET', KEYS[4], stamp, 'NX', 'PX', ARGV[1]) then
    return {stamp, false, 1}
end
if redis.call('GET', KEYS[4]) == stamp then
    return {stamp, false, 0}
end
return {stamp, false, 1}
"""

# KEYS: epoch, generation, body, lock. ARGV: stamp, body (header and gzip), TTL (s). Returns 1 if stored.
STORE = """
local found = redis.call('MGET', KEYS[1], KEYS[2])
local stored = 0
if (found[1] or '0') .. '.' .. (found[2] or '0') == ARGV[1] then
    redis.call('SET', KEYS[3], ARGV[2], 'EX', ARGV[3])
    stored = 1
end
if redis.call('GET', KEYS[4]) == ARGV[1] then
    redis.call('DEL', KEYS[4])
end
return stored
"""


# KEYS: lock. ARGV: stamp. Frees the render lock if it is still held for that stamp.
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('DEL', KEYS[1])
end
return 0
"""


class TileKeys:
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.epoch = f"{prefix}tilegen:epoch"
        self.channel = f"{prefix}tiles:invalidated"

    def body(self, tile: Tile, digest: str) -> str:
        return f"{self.prefix}tile:{tile}:{digest}"

    def generation(self, tile: Tile) -> str:
        return f"{self.prefix}tilegen:{tile}"

    def lock(self, tile: Tile, digest: str) -> str:
        return f"{self.prefix}tilelock:{tile}:{digest}"


@dataclass(frozen=True, slots=True)
class Lookup:
    """What the cache knows of a tile: the entry if current, and what a miss must remember."""

    tile: RenderedTile | None
    stamp: bytes | None  # None: Redis is not usable, do not store
    version: int  # the near cache's version when the lookup began
    render: bool = True  # False: another process holds the render lock for this stamp


def tiles_to_invalidate(points: Iterable[Point], max_zoom: int, cluster_below_zoom: int) -> set[Tile]:
    """Every tile, at every zoom, whose content depends on an event at one of ``points``."""
    tiles: set[Tile] = set()
    for point in points:
        for z in range(max_zoom + 1):
            # Point tiles also draw events within their buffer; cluster tiles only their own (the
            # minimal margin clears both neighbours when the point sits on an edge).
            margin = POINT_BUFFER if z >= cluster_below_zoom else 0
            tiles |= tiles_showing(point.lat, point.lon, z, margin)
    return tiles


async def invalidate(redis: Redis, settings: Settings, change: EventChange) -> set[Tile]:
    """Bump (and publish) the generation of every tile showing the change's old or new point.

    Returns the tiles. Raises Redis errors: callers that must not fail use ``TileCache.invalidate``.
    """
    keys = TileKeys(settings.redis.key_prefix)
    tiles = tiles_to_invalidate(change.points, settings.tiles.max_zoom, settings.tiles.cluster_below_zoom)
    ttl = settings.tiles.cache_ttl_s * GENERATION_TTL_FACTOR
    async with redis.pipeline(transaction=True) as pipe:
        for tile in tiles:
            name = keys.generation(tile)
            pipe.incr(name)
            pipe.expire(name, ttl)
        pipe.publish(keys.channel, invalidation_message(tiles))
        await pipe.execute()
    return tiles


async def drop_every_tile(redis: Redis, prefix: str) -> None:
    """Make every cached tile, in Redis and in every process, a miss (bump and publish the epoch)."""
    keys = TileKeys(prefix)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.incr(keys.epoch)
        pipe.publish(keys.channel, EVERYTHING)
        await pipe.execute()


class TileCache:
    """Reads and writes tiles, tolerating a missing Redis (see the module docstring)."""

    def __init__(self, redis: Redis, settings: Settings, near: NearCache | None = None) -> None:
        self.redis = redis
        self.settings = settings
        self.keys = TileKeys(settings.redis.key_prefix)
        self.ttl_s = settings.tiles.cache_ttl_s
        self.near = near or NearCache()
        self._subscription = Subscription(settings.redis.url, self.keys.channel, self.near)
        self._lookup = redis.register_script(LOOKUP)
        self._store = redis.register_script(STORE)
        self._release = redis.register_script(RELEASE)
        self._down_until = 0.0
        self._down = False
        self._flush: asyncio.Task[None] | None = None
        self._writes: set[asyncio.Task[None]] = set()

    def start(self) -> None:
        """Subscribe to invalidations (the near cache stays off until the subscription is confirmed)."""
        self._subscription.start()

    async def aclose(self) -> None:
        await self.settle()
        if self._flush is not None:
            self._flush.cancel()
        await self._subscription.aclose()

    async def settle(self) -> None:
        """Wait for the Redis writes still running in the background."""
        if self._writes:
            await asyncio.gather(*self._writes, return_exceptions=True)

    @property
    def usable(self) -> bool:
        return self._flush is None and time.monotonic() >= self._down_until

    def nearby(self, tile: Tile, digest: str) -> RenderedTile | None:
        """The tile from this process's memory, if current (no I/O)."""
        return self.near.get(tile, digest) if self._flush is None else None

    async def lookup(self, tile: Tile, digest: str) -> Lookup:
        """The tile from the near cache or Redis if current, with the stamp a miss must store under."""
        version = self.near.version
        found = self.nearby(tile, digest)
        if found is not None or not self.usable:
            return Lookup(found, None, version)
        keys = [self.keys.epoch, self.keys.generation(tile), self.keys.body(tile, digest), self.keys.lock(tile, digest)]
        try:
            stamp, body, render = await self._lookup(keys=keys, args=[LOCK_TTL_MS])
        except REDIS_ERRORS as exc:
            self._trip(exc)
            return Lookup(None, None, version)
        self._recovered()
        stamp = _bytes(stamp) or b"0.0"
        found = decode_entry(_bytes(body) or None, stamp)
        if found is not None:
            self.near.put(tile, digest, found, version)
        return Lookup(found, stamp, version, render=bool(render))

    def store(self, tile: Tile, digest: str, seen: Lookup, rendered: RenderedTile) -> None:
        """Keep ``rendered`` under the stamp read before it was rendered; Redis in the background."""
        self.near.put(tile, digest, rendered, seen.version)
        if seen.stamp is None or not self.usable:
            return
        task = asyncio.create_task(self._write(tile, digest, seen.stamp, rendered))
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)

    async def _write(self, tile: Tile, digest: str, stamp: bytes, rendered: RenderedTile) -> None:
        keys = [self.keys.epoch, self.keys.generation(tile), self.keys.body(tile, digest), self.keys.lock(tile, digest)]
        try:
            await self._store(keys=keys, args=[stamp, encode_entry(rendered, stamp), self.ttl_s])
        except REDIS_ERRORS as exc:
            self._trip(exc)

    def abandon(self, tile: Tile, digest: str, seen: Lookup) -> None:
        """The render ``seen`` asked for failed: free its lock (in the background), so that requesters in
        other processes render now rather than wait ``LOCK_TTL_MS`` for a body that will not come."""
        if seen.stamp is None or not seen.render or not self.usable:
            return
        task = asyncio.create_task(self._abandon(self.keys.lock(tile, digest), seen.stamp))
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)

    async def _abandon(self, lock: str, stamp: bytes) -> None:
        try:
            await self._release(keys=[lock], args=[stamp])
        except REDIS_ERRORS as exc:
            self._trip(exc)

    async def wait_for(self, tile: Tile, digest: str, stamp: bytes) -> RenderedTile | None:
        """The tile another process is rendering under ``stamp``; None if it does not come in time."""
        lock, body = self.keys.lock(tile, digest), self.keys.body(tile, digest)
        deadline = time.monotonic() + LOCK_TTL_MS / 1000
        while time.monotonic() < deadline and self.usable:
            await asyncio.sleep(LOCK_POLL_S)
            try:
                held, value = await self.redis.mget(lock, body)
            except REDIS_ERRORS as exc:
                self._trip(exc)
                return None
            found = decode_entry(_bytes(value), stamp)
            if found is not None or _bytes(held) != stamp:
                return found
        return None

    async def invalidate(self, change: EventChange) -> None:
        """``invalidate`` that never raises: on failure, stop trusting the cache until the epoch moves."""
        try:
            tiles = await invalidate(self.redis, self.settings, change)
        except REDIS_ERRORS as exc:
            log.error("tile invalidation failed; tiles bypass the cache until every entry is dropped: %r", exc)
            self.near.clear()
            if self._flush is None:
                self._flush = asyncio.create_task(self._drop_everything())
            return
        self.near.drop(tiles)  # here at once; other processes when the message arrives

    async def _drop_everything(self) -> None:
        while True:
            try:
                await drop_every_tile(self.redis, self.keys.prefix)
            except REDIS_ERRORS:
                await asyncio.sleep(RETRY_AFTER_S)
                continue
            log.warning("tile cache epoch bumped: every cached tile was dropped")
            self.near.clear()
            self._flush = None
            return

    def _trip(self, exc: BaseException) -> None:
        self._down_until = time.monotonic() + RETRY_AFTER_S
        if not self._down:
            self._down = True
            log.warning("tile cache unavailable, serving tiles from the database: %r", exc)

    def _recovered(self) -> None:
        if self._down:
            self._down = False
            log.info("tile cache available again")


def _bytes(value: bytes | str | None) -> bytes | None:
    # The client is made without decode_responses, so values arrive as bytes; the types allow str.
    return value.encode() if isinstance(value, str) else value


def encode_entry(rendered: RenderedTile, stamp: bytes) -> bytes:
    """A Redis body: the header line ``{stamp} {features} {truncated} {etag}`` and the gzip bytes."""
    header = b"%s %d %d %s\n" % (stamp, rendered.features, rendered.truncated, rendered.etag.encode())
    return header + rendered.gzipped


def decode_entry(value: bytes | None, stamp: bytes) -> RenderedTile | None:
    """The tile in a Redis body, if it was stored under ``stamp``."""
    if not value:
        return None
    header, _, gzipped = value.partition(b"\n")
    parts = header.split(b" ")
    if len(parts) != 4 or parts[0] != stamp:
        return None
    return RenderedTile(gzipped, parts[3].decode(), int(parts[1]), parts[2] == b"1")

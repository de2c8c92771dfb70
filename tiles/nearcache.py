"""The in-process tile cache in front of Redis, kept exact by Redis pub/sub.

A cache hit that asks Redis costs a round trip and the client's CPU per request, which is
most of a hit. So each process keeps recently served tiles in memory (``NearCache``, an LRU with
a byte budget) and drops them when told: every invalidation also publishes the tiles it bumped on
``{prefix}tiles:invalidated`` (``*``: everything), in the same MULTI as the bumps.

Why the subscriber is a bare ``asyncio.Protocol`` and not a redis-py ``PubSub`` task: its
``data_received`` runs straight from the event loop's I/O callback, before any task the same loop
iteration woke up. An invalidation whose bytes reached this process before a tile request's bytes
is therefore applied before that request runs; with a reader *task* the request could be served
first. (The writer commits, bumps, publishes and only then answers its client, so a request made
after that answer finds the message already applied.)

The near cache is used only while the subscription is confirmed. When the connection drops (or a
ping goes unanswered) it is emptied and bypassed until a new subscription is confirmed: a message
missed meanwhile cannot leave anything stale. A tile read from Redis or the database is kept only
if no invalidation arrived since the read began (``version``).
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any, Protocol, cast

from redis.asyncio.connection import SSLConnection, parse_url

from tiles.grid import Tile
from tiles.rendered import RenderedTile

log = logging.getLogger("happenings.tiles.near")

MAX_BYTES = 64 * 1024 * 1024
ENTRY_OVERHEAD = 256  # keys, tuples and the dataclass, roughly
PING_EVERY_S = 5.0
RETRY_AFTER_S = 1.0
CONNECT_TIMEOUT_S = 2.0
EVERYTHING = b"*"


class NearCache:
    """Tiles served recently by this process, valid only while ``live`` (the subscription stands)."""

    def __init__(self, max_bytes: int = MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self.live = False
        # Bumped by every invalidation: a read that started before must not fill the cache.
        self.version = 0
        self._entries: OrderedDict[tuple[Tile, str], RenderedTile] = OrderedDict()
        self._digests: dict[Tile, set[str]] = {}
        self._bytes = 0

    def get(self, tile: Tile, digest: str) -> RenderedTile | None:
        if not self.live:
            return None
        key = (tile, digest)
        found = self._entries.get(key)
        if found is not None:
            self._entries.move_to_end(key)
        return found

    def put(self, tile: Tile, digest: str, rendered: RenderedTile, version: int) -> None:
        """Keep ``rendered`` unless an invalidation arrived since ``version`` was read."""
        if not self.live or version != self.version or (tile, digest) in self._entries:
            return
        self._entries[(tile, digest)] = rendered
        self._digests.setdefault(tile, set()).add(digest)
        self._bytes += _size(rendered)
        while self._bytes > self.max_bytes and self._entries:
            (old_tile, old_digest), old = self._entries.popitem(last=False)
            self._forget(old_tile, old_digest, old)

    def drop(self, tiles: Iterable[Tile]) -> None:
        self.version += 1
        for tile in tiles:
            for digest in self._digests.pop(tile, ()):
                entry = self._entries.pop((tile, digest), None)
                if entry is not None:
                    self._bytes -= _size(entry)

    def clear(self) -> None:
        self.version += 1
        self._entries.clear()
        self._digests.clear()
        self._bytes = 0

    def apply(self, message: bytes) -> None:
        """An invalidation message: ``*`` or space-separated ``z/x/y`` tiles."""
        if message == EVERYTHING:
            self.clear()
            return
        self.drop(Tile(*map(int, item.split(b"/"))) for item in message.split())

    def go_live(self) -> None:
        self.clear()
        self.live = True

    def go_dark(self) -> None:
        self.live = False
        self.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def _forget(self, tile: Tile, digest: str, entry: RenderedTile) -> None:
        self._bytes -= _size(entry)
        digests = self._digests.get(tile)
        if digests is not None:
            digests.discard(digest)
            if not digests:
                del self._digests[tile]


def _size(entry: RenderedTile) -> int:
    return len(entry.gzipped) + ENTRY_OVERHEAD


def invalidation_message(tiles: Iterable[Tile]) -> bytes:
    return " ".join(str(tile) for tile in tiles).encode()


class Invalidated(Protocol):
    """What a subscription keeps exact: a ``NearCache``, or any in-process cache with the same switches."""

    def apply(self, message: bytes) -> None: ...
    def go_live(self) -> None: ...
    def go_dark(self) -> None: ...


class Subscription:
    """Keeps ``near`` subscribed to ``channel``: reconnects, pings, and goes dark whenever unsure."""

    def __init__(self, redis_url: str, channel: str, near: Invalidated) -> None:
        self.options = parse_url(redis_url)
        self.channel = channel.encode()
        self.near = near
        self._task: asyncio.Task[None] | None = None
        self._protocol: _Subscriber | None = None

    def start(self, name: str = "tile-invalidations") -> None:
        self._task = asyncio.create_task(self._run(), name=name)

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._protocol is not None and self._protocol.transport is not None:
            self._protocol.transport.close()
        self.near.go_dark()

    async def _run(self) -> None:
        quiet = False  # one warning per outage
        while True:
            try:
                await self._session()
            except (TimeoutError, OSError, ConnectionError) as exc:
                self.near.go_dark()
                if self._protocol is not None and self._protocol.confirmed:
                    quiet = False
                if not quiet:
                    log.warning("tile invalidations unavailable, in-process tile cache off: %r", exc)
                    quiet = True
            except Exception:  # a bug must not leave the cache on without its invalidations
                self.near.go_dark()
                log.exception("tile invalidation subscription failed; retrying")
            await asyncio.sleep(RETRY_AFTER_S)

    async def _session(self) -> None:
        protocol = _Subscriber(self.near)
        self._protocol = protocol
        transport = await asyncio.wait_for(self._connect(protocol), CONNECT_TIMEOUT_S)
        try:
            password, username = self.options.get("password"), self.options.get("username")
            if password:
                protocol.send(b"AUTH", *((username.encode(),) if username else ()), password.encode())
            protocol.send(b"SUBSCRIBE", self.channel)
            while not protocol.lost.done():
                await asyncio.wait({protocol.lost}, timeout=PING_EVERY_S)
                if protocol.lost.done():
                    break
                if time.monotonic() - protocol.heard_at > 2 * PING_EVERY_S:
                    raise ConnectionError("no answer to PING")
                protocol.send(b"PING")
            raise protocol.lost.result() or ConnectionError("Redis closed the subscription")
        finally:
            transport.close()

    async def _connect(self, protocol: _Subscriber) -> asyncio.BaseTransport:
        loop = asyncio.get_running_loop()
        if "path" in self.options:
            transport, _ = await loop.create_unix_connection(lambda: protocol, self.options["path"])
            return transport
        context = ssl.create_default_context() if self.options.get("connection_class") is SSLConnection else None
        host, port = self.options.get("host", "127.0.0.1"), self.options.get("port", 6379)
        transport, _ = await loop.create_connection(lambda: protocol, host, port, ssl=context)
        return transport


class _Subscriber(asyncio.Protocol):
    """RESP2 in subscribed mode, parsed and applied inside ``data_received``."""

    def __init__(self, near: Invalidated) -> None:
        self.near = near
        self.transport: asyncio.Transport | None = None
        self.lost: asyncio.Future[Exception | None] = asyncio.get_running_loop().create_future()
        self.heard_at = time.monotonic()
        self.confirmed = False
        self._buffer = bytearray()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports do not subclass asyncio's

    def send(self, *parts: bytes) -> None:
        assert self.transport is not None
        chunks = [b"*%d\r\n" % len(parts)]
        chunks += [b"$%d\r\n%s\r\n" % (len(part), part) for part in parts]
        self.transport.write(b"".join(chunks))

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        self.heard_at = time.monotonic()
        while True:
            try:
                value, end = _parse(self._buffer, 0)
            except _Incomplete:
                return
            del self._buffer[:end]
            self._handle(value)

    def connection_lost(self, exc: Exception | None) -> None:
        self.near.go_dark()
        if not self.lost.done():
            self.lost.set_result(exc)

    def _handle(self, value: Any) -> None:
        if isinstance(value, _Error):
            log.error("tile invalidation subscription refused: %s", value)
            self.near.go_dark()
            if self.transport is not None:
                self.transport.close()
        elif isinstance(value, list) and value:
            kind = value[0]
            if kind == b"message":
                self.near.apply(value[2])
            elif kind == b"subscribe":
                self.confirmed = True
                self.near.go_live()


class _Incomplete(Exception):
    pass


class _Error(str):
    pass


def _parse(buffer: bytearray, start: int) -> tuple[Any, int]:
    """One RESP2 value at ``start``: (value, end), or ``_Incomplete``."""
    line_end = buffer.find(b"\r\n", start)
    if line_end < 0:
        raise _Incomplete
    kind, body = buffer[start : start + 1], bytes(buffer[start + 1 : line_end])
    after = line_end + 2
    if kind == b"+":
        return body, after
    if kind == b"-":
        return _Error(body.decode(errors="replace")), after
    if kind == b":":
        return int(body), after
    if kind == b"$":
        length = int(body)
        if length < 0:
            return None, after
        if len(buffer) < after + length + 2:
            raise _Incomplete
        return bytes(buffer[after : after + length]), after + length + 2
    if kind == b"*":
        items = []
        for _ in range(max(int(body), 0)):
            item, after = _parse(buffer, after)
            items.append(item)
        return items, after
    raise ConnectionError(f"unexpected RESP type {kind!r}")

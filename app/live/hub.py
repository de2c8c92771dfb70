"""Fan-out of event changes to open live maps, across API processes, through Redis by H3 cell.

Publishing (an after-commit listener on ``EventChange``, in whichever process wrote): the change goes
to the channel of each partition cell (H3 resolution 3) its old and new points lie in, and into a
capped stream per cell (the short history ``Last-Event-ID`` resumes from). A message's id is the Redis
stream id of its first copy: ids come from one Redis clock, so they order messages across cells.

Subscribing: each process keeps ONE Redis pub/sub connection (``LiveHub``), subscribed to the union
of the cells its open streams cover (reference-counted), and hands each message to the local queues
of the streams covering that cell. A stream whose queue overflows is ended: the browser reconnects
with ``Last-Event-ID`` and reads what it missed from the history.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any

import orjson
from redis.asyncio import Redis
from redis.asyncio.client import PubSub

from app.events.changes import EventChange
from geo.bbox import BBox
from geo.cells import cell_of

log = logging.getLogger("happenings.live")

QUEUE_SIZE = 256


def message_kind(change: EventChange) -> str | None:
    """What a live map shows for a change (None: nothing visible happened)."""
    aspects = change.aspects
    if "deleted" in aspects or "unpublished" in aspects:
        return "removed"
    if "cancelled" in aspects:
        return "cancelled"
    if "published" in aspects:
        return "created"
    for aspect in ("moved", "rescheduled"):
        if aspect in aspects:
            return aspect
    for aspect in ("sold_out", "available", "few_left"):
        if aspect in aspects:
            return aspect
    if "capacity" in aspects:
        return "capacity"
    if "details" in aspects:
        return "updated"
    return None


def _point(p: Any) -> dict[str, float] | None:
    return None if p is None else {"lat": p.lat, "lon": p.lon}


def parse_id(value: str | None) -> tuple[int, int] | None:
    """A stream id ``<ms>-<seq>`` as a comparable pair; None when absent or malformed."""
    if not value:
        return None
    ms, _, seq = value.strip().partition("-")
    if not (ms.isdigit() and seq.isdigit() and len(ms) < 20 and len(seq) < 20):
        return None
    return int(ms), int(seq)


@dataclass(frozen=True, slots=True)
class LiveMessage:
    id: str
    body: dict[str, Any]
    # The SSE frame, encoded once for every stream that gets the message (a thousand streams, one dumps).
    frame: bytes = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        frame = b"id: " + self.id.encode() + b"\nevent: change\ndata: " + orjson.dumps(self.body) + b"\n\n"
        object.__setattr__(self, "frame", frame)

    @property
    def order(self) -> tuple[int, int]:
        parsed = parse_id(self.id)
        return parsed if parsed is not None else (0, 0)

    def inside(self, box: BBox) -> bool:
        return any(_inside(p, box) for p in (self.body.get("before"), self.body.get("after")) if p)

    def sse(self) -> bytes:
        return self.frame


def _inside(point: dict[str, float], box: BBox) -> bool:
    if not box.south <= point["lat"] <= box.north:
        return False
    lon = point["lon"]
    return box.west <= lon <= box.east if not box.crosses_antimeridian else (lon >= box.west or lon <= box.east)


class LivePublisher:
    def __init__(self, redis: Redis, prefix: str, history: int) -> None:
        self._redis = redis
        self._prefix = prefix
        self._history = history

    def channel(self, cell: int) -> str:
        return f"{self._prefix}live:{cell}"

    async def publish(self, change: EventChange) -> str | None:
        kind = message_kind(change)
        if kind is None:
            return None
        body = {
            "event_id": str(change.event_id),
            "kind": kind,
            "aspects": sorted(change.aspects),
            "before": _point(change.before),
            "after": _point(change.after),
        }
        data = orjson.dumps(body)
        cells = sorted({cell_of(p.lat, p.lon) for p in change.points})
        first: str | None = None
        for cell in cells:
            key = self.channel(cell)
            sid = await self._redis.xadd(key, {"m": data, "mid": first or ""}, maxlen=self._history, approximate=True)
            first = first or (sid.decode() if isinstance(sid, bytes) else str(sid))
            await self._redis.publish(key, orjson.dumps({"id": first, "body": body}))
        return first

    async def on_change(self, change: EventChange) -> None:
        """After-commit listener."""
        await self.publish(change)

    async def history(self, cells: list[int], after: str) -> list[LiveMessage]:
        """Messages of these cells newer than ``after`` (in the capped streams), oldest first, once each."""
        since = parse_id(after)
        if since is None:
            return []
        found: dict[str, LiveMessage] = {}
        async with self._redis.pipeline(transaction=False) as pipe:
            for cell in cells:
                pipe.xrange(self.channel(cell), min=f"({since[0]}-{since[1]}", max="+", count=self._history)
            results = await pipe.execute()
        for entries in results:
            for sid, fields in entries:
                mid = (fields.get(b"mid") or b"").decode() or sid.decode()
                message = LiveMessage(mid, orjson.loads(fields[b"m"]))
                if message.order > since:
                    found[mid] = message
        return sorted(found.values(), key=lambda m: m.order)


@dataclass(eq=False)
class Subscriber:
    cells: tuple[int, ...]
    queue: asyncio.Queue[LiveMessage | None] = field(default_factory=lambda: asyncio.Queue(QUEUE_SIZE))


class TooManyStreams(Exception):
    pass


class LiveHub:
    """One Redis pub/sub connection per process, shared by every open stream."""

    def __init__(self, redis: Redis, publisher: LivePublisher, max_connections: int) -> None:
        self._redis = redis
        self._publisher = publisher
        self._max = max_connections
        self._pubsub: PubSub | None = None
        self._by_channel: dict[str, set[Subscriber]] = {}
        self._count = 0
        self._reader: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    @property
    def open_streams(self) -> int:
        return self._count

    async def open(self, cells: list[int]) -> Subscriber:
        if self._count >= self._max:
            raise TooManyStreams
        self._count += 1
        subscriber = Subscriber(tuple(cells))
        async with self._lock:
            if self._pubsub is None:
                self._pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
            new = []
            for cell in cells:
                channel = self._publisher.channel(cell)
                if channel not in self._by_channel:
                    self._by_channel[channel] = set()
                    new.append(channel)
                self._by_channel[channel].add(subscriber)
            try:
                if new:
                    await self._pubsub.subscribe(*new)
            except Exception:
                await self._close_locked(subscriber)
                raise
            if self._reader is None or self._reader.done():
                self._reader = asyncio.create_task(self._read(), name="live-hub")
        return subscriber

    async def close(self, subscriber: Subscriber) -> None:
        async with self._lock:
            await self._close_locked(subscriber)

    async def _close_locked(self, subscriber: Subscriber) -> None:
        self._count -= 1
        gone = []
        for cell in subscriber.cells:
            channel = self._publisher.channel(cell)
            subscribers = self._by_channel.get(channel)
            if subscribers is None:
                continue
            subscribers.discard(subscriber)
            if not subscribers:
                del self._by_channel[channel]
                gone.append(channel)
        if gone and self._pubsub is not None:
            with contextlib.suppress(Exception):
                await self._pubsub.unsubscribe(*gone)

    async def _read(self) -> None:
        assert self._pubsub is not None
        while True:
            try:
                message = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("live hub lost Redis; reconnecting")
                await asyncio.sleep(1.0)
                continue
            if message is None or message.get("type") != "message":
                if not self._by_channel and self._count == 0:
                    await asyncio.sleep(0)
                continue
            channel = message["channel"].decode() if isinstance(message["channel"], bytes) else message["channel"]
            payload = orjson.loads(message["data"])
            live = LiveMessage(payload["id"], payload["body"])
            for subscriber in list(self._by_channel.get(channel, ())):
                try:
                    subscriber.queue.put_nowait(live)
                except asyncio.QueueFull:
                    # Too slow a reader: end its stream; it resumes from the history with Last-Event-ID.
                    with contextlib.suppress(asyncio.QueueFull):
                        subscriber.queue.get_nowait()
                        subscriber.queue.put_nowait(None)

    async def aclose(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        if self._pubsub is not None:
            with contextlib.suppress(Exception):
                await self._pubsub.aclose()  # type: ignore[no-untyped-call]

"""The near cache: an LRU that only answers while its invalidation subscription stands."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from redis.asyncio import Redis

from tests.conftest import REDIS_URL
from tiles.grid import Tile
from tiles.nearcache import NearCache, Subscription, _parse, _Subscriber, invalidation_message
from tiles.rendered import RenderedTile

A, B = Tile(3, 1, 2), Tile(3, 2, 2)


def _tile(size: int = 100) -> RenderedTile:
    return RenderedTile(b"x" * size, '"e"', 1, False)


def _live_cache(max_bytes: int = 10_000) -> NearCache:
    near = NearCache(max_bytes)
    near.go_live()
    return near


def test_answers_only_while_live() -> None:
    near = NearCache()
    near.put(A, "f", _tile(), near.version)
    assert near.get(A, "f") is None  # not subscribed yet: nothing kept
    near.go_live()
    near.put(A, "f", _tile(), near.version)
    assert near.get(A, "f") is not None
    near.go_dark()
    assert near.get(A, "f") is None and len(near) == 0


def test_a_read_that_raced_an_invalidation_is_not_kept() -> None:
    near = _live_cache()
    version = near.version  # a request starts reading
    near.apply(invalidation_message([B]))  # an invalidation arrives meanwhile (any tile)
    near.put(A, "f", _tile(), version)
    assert near.get(A, "f") is None


def test_invalidation_drops_every_filter_of_the_tiles_named() -> None:
    near = _live_cache()
    for digest in ("f", "g"):
        near.put(A, digest, _tile(), near.version)
    near.put(B, "f", _tile(), near.version)
    near.apply(b"3/1/2 9/0/0")
    assert near.get(A, "f") is None and near.get(A, "g") is None
    assert near.get(B, "f") is not None
    near.apply(b"*")
    assert len(near) == 0


def test_the_byte_budget_evicts_the_least_recently_used() -> None:
    near = _live_cache(max_bytes=3 * (100 + 256))
    for x in range(3):
        near.put(Tile(3, x, 0), "f", _tile(), near.version)
    near.get(Tile(3, 0, 0), "f")  # used: now the most recent
    near.put(Tile(3, 3, 0), "f", _tile(), near.version)
    assert near.get(Tile(3, 1, 0), "f") is None  # the least recently used went
    assert all(near.get(Tile(3, x, 0), "f") is not None for x in (0, 2, 3))


def test_resp_parsing_handles_split_messages() -> None:
    message = b"*3\r\n$7\r\nmessage\r\n$4\r\nchan\r\n$5\r\n3/1/2\r\n"
    value, end = _parse(bytearray(message), 0)
    assert value == [b"message", b"chan", b"3/1/2"] and end == len(message)

    async def feed() -> NearCache:
        near = _live_cache()
        near.put(A, "f", _tile(), near.version)
        protocol = _Subscriber(near)
        for i in range(len(message)):  # one byte at a time
            protocol.data_received(message[i : i + 1])
        return near

    near = asyncio.run(feed())
    assert near.get(A, "f") is None


@pytest.fixture
async def redis() -> Redis:
    client = Redis.from_url(REDIS_URL)
    yield client  # type: ignore[misc]
    await client.aclose()


async def _until(condition: Callable[[], bool], seconds: float = 3.0) -> None:
    for _ in range(int(seconds / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not reached")


async def test_a_subscription_applies_messages_and_goes_dark_when_cut(redis: Redis, redis_prefix: str) -> None:
    channel = f"{redis_prefix}tiles:invalidated"
    near = NearCache()
    subscription = Subscription(REDIS_URL, channel, near)
    subscription.start()
    try:
        await _until(lambda: near.live)
        near.put(A, "f", _tile(), near.version)
        await redis.publish(channel, b"3/1/2")
        await _until(lambda: near.get(A, "f") is None)

        near.put(B, "f", _tile(), near.version)
        assert subscription._protocol is not None and subscription._protocol.transport is not None
        host, port = subscription._protocol.transport.get_extra_info("sockname")[:2]
        await redis.client_kill_filter(addr=f"{host}:{port}")  # this subscription's connection only
        await _until(lambda: not near.live)
        assert near.get(B, "f") is None  # dark: emptied, and nothing is served
        await _until(lambda: near.live, seconds=5)  # back once subscribed again
    finally:
        await subscription.aclose()
    assert not near.live


async def test_without_redis_the_near_cache_stays_off() -> None:
    near = NearCache()
    subscription = Subscription("redis://127.0.0.1:1/0", "x", near)
    subscription.start()
    await asyncio.sleep(0.2)
    assert not near.live
    await subscription.aclose()


def test_the_subscription_works_under_uvloop(redis_prefix: str) -> None:
    """uvicorn runs on uvloop, whose transports are not asyncio's classes."""
    import uvloop

    async def scenario() -> bool:
        near = NearCache()
        subscription = Subscription(REDIS_URL, f"{redis_prefix}tiles:invalidated", near)
        subscription.start()
        try:
            await _until(lambda: near.live)
            near.put(A, "f", _tile(), near.version)
            publisher = Redis.from_url(REDIS_URL)
            await publisher.publish(f"{redis_prefix}tiles:invalidated", b"*")
            await publisher.aclose()
            await _until(lambda: len(near) == 0)
            return near.live
        finally:
            await subscription.aclose()

    assert uvloop.run(scenario())

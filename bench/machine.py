"""What a round trip costs on this machine, hot and after the CPUs went idle.

    python -m bench.machine

Printed at the head of every ``python -m bench`` report, so that runs on different machines can
be told apart. A request that crosses processes wakes each one up in turn; on the virtual
machines we run on, a wake-up after a few milliseconds of idleness costs several times a hot
round trip. A raw SQL statement pays one such wake-up (the database's), a tile miss over HTTP three
(the service's, Redis's, the database's), so the fixed part of that gap grows on a machine whose
idle wake-ups are slow, whatever the service's own code does.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable

import psycopg
import uvloop
from redis.asyncio import ConnectionPool

from bench.dataset import server_url
from config.settings import RedisSettings

SAMPLES = 300
IDLE_S = 0.002
_PING = b"*1\r\n$4\r\nPING\r\n"


async def _round_trips(call: Callable[[], Awaitable[object]], idle_s: float) -> float:
    """Median seconds of ``call``, each after ``idle_s`` of sleep (0: back to back)."""
    for _ in range(20):
        await call()
    times = []
    for _ in range(SAMPLES):
        if idle_s:
            await asyncio.sleep(idle_s)
        started = time.perf_counter()
        await call()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


async def _measure(database_url: str, redis_url: str) -> str:
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:

        async def select_one() -> None:
            await conn.execute("SELECT 1", prepare=True)

        pg_hot, pg_idle = _us(await _round_trips(select_one, 0)), _us(await _round_trips(select_one, IDLE_S))
    try:
        redis_hot, redis_idle = await _redis_round_trips(redis_url)
    except OSError as exc:
        redis = f"Redis not reachable ({exc})"
    else:
        redis = f"Redis PING {redis_hot} back to back, {redis_idle} after {IDLE_S * 1e3:.0f} ms idle"
    postgres = f"PostgreSQL `SELECT 1` {pg_hot} and {pg_idle}"
    return f"Round trips on this machine (medians of {SAMPLES}): {redis}; {postgres}."


async def _redis_round_trips(redis_url: str) -> tuple[str, str]:
    # A bare socket, not redis-py: the machine's round trip, not a client library's.
    address = ConnectionPool.from_url(redis_url).connection_kwargs
    reader, writer = await asyncio.open_connection(address.get("host", "localhost"), address.get("port", 6379))

    async def ping() -> None:
        writer.write(_PING)
        await reader.readuntil(b"\r\n")

    try:
        return _us(await _round_trips(ping, 0)), _us(await _round_trips(ping, IDLE_S))
    finally:
        writer.close()


def _us(seconds: float) -> str:
    return f"{seconds * 1e6:.0f} µs"


def round_trips(database_url: str, redis_url: str | None = None) -> str:
    """One markdown line: hot and after-idle round trips to Redis and PostgreSQL."""
    return uvloop.run(_measure(database_url, redis_url or RedisSettings().url))


def main() -> None:
    print(round_trips(f"{server_url()}/postgres"))


if __name__ == "__main__":
    main()

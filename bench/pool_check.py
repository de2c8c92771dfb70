"""``python -m bench.pool_check``: what checking a pooled connection before use would cost a request.

A read takes a pooled connection and runs one short statement (``SELECT 1``), four ways, in
interleaved rounds on one connection of the local server:

- ``pool``: ``pool.connection()`` and the statement, autocommit switched as ``ReadConnection`` does;
- ``get``: ``ReadConnection.get()`` and the statement (the lazy read connection, no retry);
- ``run``: ``ReadConnection.run()`` (the breaker's check and the retry wrapper that reads use);
- ``checked``: a pool made with ``check=AsyncConnectionPool.check_connection`` (a round trip
  before every use), the design ``app.kit.database_breaker`` does without.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable

from psycopg_pool import AsyncConnectionPool

from app.db import API_SESSION, Conn, make_pool
from app.kit.database_breaker import DatabaseBreaker
from app.kit.read_connection import ReadConnection
from bench.dataset import server_url
from config.settings import DatabaseSettings

REQUESTS, ROUNDS, WARM_UP = 2000, 5, 200


async def _select_one(conn: Conn) -> None:
    await (await conn.execute("SELECT 1")).fetchone()


async def measure() -> dict[str, list[float]]:
    settings = DatabaseSettings(url=f"{server_url()}/postgres", pool_min=1, pool_max=1)
    plain = make_pool(settings, session=API_SESSION)
    checked = AsyncConnectionPool(
        settings.url, min_size=1, max_size=1, kwargs=dict(plain.kwargs), connection_class=plain.connection_class,
        check=AsyncConnectionPool.check_connection, open=False,
    )  # fmt: skip
    breaker = DatabaseBreaker(settings)
    breaker.watch(plain)
    await plain.open(wait=True)
    await checked.open(wait=True)

    async def through(pool: AsyncConnectionPool[Conn]) -> None:
        async with pool.connection() as conn:
            await conn.set_autocommit(True)
            await _select_one(conn)
            await conn.set_autocommit(False)

    async def get() -> None:
        async with ReadConnection(plain, breaker) as db:
            await _select_one(await db.get())

    async def run() -> None:
        async with ReadConnection(plain, breaker) as db:
            await db.run(_select_one)

    ways: dict[str, Callable[[], Awaitable[None]]] = {
        "pool": lambda: through(plain), "get": get, "run": run, "checked": lambda: through(checked),
    }  # fmt: skip
    times: dict[str, list[float]] = {name: [] for name in ways}
    try:
        for way in ways.values():
            for _ in range(WARM_UP):
                await way()
        for _ in range(ROUNDS):
            for name, way in ways.items():
                for _ in range(REQUESTS):
                    started = time.perf_counter()
                    await way()
                    times[name].append(time.perf_counter() - started)
    finally:
        await plain.close()
        await checked.close()
        await breaker.aclose()
    return times


def main() -> None:
    times = asyncio.run(measure())
    print(f"| way | p50 µs | mean µs |  ({REQUESTS * ROUNDS} reads each, SELECT 1)\n|---|---|---|")
    for name, samples in times.items():
        print(f"| {name} | {statistics.median(samples) * 1e6:.0f} | {statistics.fmean(samples) * 1e6:.0f} |")


if __name__ == "__main__":
    main()

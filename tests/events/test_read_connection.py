"""Read connections: lazy, autocommit while lent, set up for short partitioned reads, bounded by the timeout."""

from __future__ import annotations

import psycopg
import pytest

from app.kit.read_connection import ReadConnection


async def test_lazy_autocommit_and_restored(app) -> None:
    pool = app.state.pool
    async with ReadConnection(pool, app.state.database_breaker) as lazy:
        assert not lazy.acquired
        conn = await lazy.get()
        assert lazy.acquired and conn.autocommit and await lazy.get() is conn
        cur = await conn.execute("SELECT current_setting('jit') AS jit, current_setting('statement_timeout') AS t, "
                                 "current_setting('max_parallel_workers_per_gather') AS workers")  # fmt: skip
        row = await cur.fetchone()
        assert row == {"jit": "off", "t": "5s", "workers": "0"}
    assert not conn.autocommit  # back in the pool as the pool configured it


async def test_an_error_still_returns_the_connection(app) -> None:
    pool = app.state.pool
    with pytest.raises(psycopg.errors.DivisionByZero):
        async with ReadConnection(pool, app.state.database_breaker) as lazy:
            failed = await lazy.get()
            await failed.execute("SELECT 1/0")
    assert pool.get_stats()["requests_waiting"] == 0 and not failed.autocommit
    async with ReadConnection(pool, app.state.database_breaker) as lazy:  # and the pool still lends working connections
        cur = await (await lazy.get()).execute("SELECT 1 AS one")
        assert await cur.fetchone() == {"one": 1}

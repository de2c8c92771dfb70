"""The async psycopg 3 pool and the per-request transaction.

The request owns the transaction: ``connection`` yields a connection inside ``BEGIN``;
it commits when the endpoint returns and rolls back when it raises. Services and
repositories never commit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from psycopg import AsyncConnection
from psycopg.rows import DictRow, dict_row
from psycopg_pool import AsyncConnectionPool

from config.settings import DatabaseSettings

Conn = AsyncConnection[DictRow]


def make_pool(settings: DatabaseSettings) -> AsyncConnectionPool[Conn]:
    """A pool whose connections carry the statement timeout and return rows as dicts."""
    # force_custom_plan: PostgreSQL prunes hash partitions for `cell = ANY($1)` only when it
    # plans with the value in hand; a cached generic plan would scan all 64 partitions.
    options = (
        f"-c statement_timeout={settings.statement_timeout_ms} -c application_name=happenings "
        "-c plan_cache_mode=force_custom_plan"
    )
    return AsyncConnectionPool(
        settings.url,
        min_size=settings.pool_min,
        max_size=settings.pool_max,
        kwargs={"row_factory": dict_row, "options": options, "autocommit": False},
        connection_class=AsyncConnection[DictRow],
        open=False,
        timeout=10,
    )


def get_pool(request: Request) -> AsyncConnectionPool[Conn]:
    pool: AsyncConnectionPool[Conn] = request.app.state.pool
    return pool


async def connection(request: Request) -> AsyncIterator[Conn]:
    """One pooled connection in one transaction for the whole request."""
    async with get_pool(request).connection() as conn, conn.transaction():
        yield conn


# scope="function": commit before the response leaves, so a failed commit is never reported as success.
ConnDep = Annotated[Conn, Depends(connection, scope="function")]

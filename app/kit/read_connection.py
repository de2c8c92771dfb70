"""A connection for read-only endpoints, taken from the pool only when first needed.

Why not the eager ``ConnDep``:

- Bad input must never reach the database. FastAPI resolves dependencies *before* it
  validates query and path parameters, so an eager connection dependency already holds a
  pooled connection (and has sent ``BEGIN``) when a 422 is decided. Taken lazily, a request
  refused by validation never touches the pool.
- A read that is a single statement needs no explicit transaction: in autocommit mode it is
  one round trip (the statement is its own snapshot) instead of ``BEGIN``, query, ``COMMIT``.

The pool's connections come set up for these reads (``app.db.API_SESSION``). Endpoints that write
use ``app.db.UnitOfWorkDep``: the request owns that transaction.

A lost database (``app.kit.database_breaker``): while it is down, ``get`` answers 503 at once. A
read run through ``run`` that finds its connection dead (the server restarted since the connection
was pooled) is run once more on a fresh connection, after the pool's idle connections are checked;
reads are idempotent, so running one twice is harmless. Nothing is checked before use: a check
would be a round trip on every request, to catch what happens once per restart.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from types import TracebackType
from typing import Annotated, TypeVar

import psycopg
from fastapi import Depends, Request
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from app.db import Conn, get_breaker, get_pool
from app.kit.database_breaker import DatabaseBreaker, connection_lost

T = TypeVar("T")


class ReadConnection:
    """Hands out one pooled connection for the request, acquiring it on the first ``get``."""

    def __init__(self, pool: AsyncConnectionPool[Conn], breaker: DatabaseBreaker) -> None:
        self._pool = pool
        self._breaker = breaker
        self._stack = AsyncExitStack()
        self._conn: Conn | None = None

    @property
    def acquired(self) -> bool:
        return self._conn is not None

    async def get(self) -> Conn:
        """The request's connection, in autocommit mode (each statement is its own snapshot).

        Raises ``DatabaseUnavailable`` (503) while the database is down or when no connection is free in time.
        """
        if self._conn is None:
            self._breaker.ensure_up()
            try:
                conn = await self._stack.enter_async_context(self._pool.connection())
            except PoolTimeout as exc:
                self._breaker.notice(exc)
                raise self._breaker.unavailable() from None
            await conn.set_autocommit(True)
            self._stack.push_async_callback(_restore_transactional, conn)
            self._conn = conn
        return self._conn

    async def run(self, read: Callable[[Conn], Awaitable[T]]) -> T:
        """``read(conn)``, run once more on a fresh connection if the first one was found dead.

        ``read`` must be idempotent (it only reads). A second lost connection, or a database that
        is down, raises ``DatabaseUnavailable`` (503).
        """
        try:
            return await read(await self.get())
        except psycopg.OperationalError as exc:
            if not connection_lost(exc):
                raise
            await self._release()
            await self._breaker.recover(exc)
        try:
            return await read(await self.get())
        except psycopg.OperationalError as exc:
            if not connection_lost(exc):
                raise
            raise self._breaker.answer(exc) from None

    async def _release(self) -> None:
        """Give the (dead) connection back: the pool discards it."""
        stack, self._stack, self._conn = self._stack, AsyncExitStack(), None
        await stack.aclose()

    async def __aenter__(self) -> ReadConnection:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._stack.__aexit__(exc_type, exc, tb)


async def _restore_transactional(conn: Conn) -> None:
    # The pool hands connections out as configured (autocommit off); give it back that way.
    if not conn.closed:
        await conn.set_autocommit(False)


async def read_connection(request: Request) -> AsyncIterator[ReadConnection]:
    async with ReadConnection(get_pool(request), get_breaker(request)) as lazy:
        yield lazy


# scope="function": the connection goes back to the pool before the response is sent.
ReadConnDep = Annotated[ReadConnection, Depends(read_connection, scope="function")]

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
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from types import TracebackType
from typing import Annotated

from fastapi import Depends, Request
from psycopg_pool import AsyncConnectionPool

from app.db import Conn, get_pool


class ReadConnection:
    """Hands out one pooled connection for the request, acquiring it on the first ``get``."""

    def __init__(self, pool: AsyncConnectionPool[Conn]) -> None:
        self._pool = pool
        self._stack = AsyncExitStack()
        self._conn: Conn | None = None

    @property
    def acquired(self) -> bool:
        return self._conn is not None

    async def get(self) -> Conn:
        """The request's connection, in autocommit mode (each statement is its own snapshot)."""
        if self._conn is None:
            conn = await self._stack.enter_async_context(self._pool.connection())
            await conn.set_autocommit(True)
            self._stack.push_async_callback(_restore_transactional, conn)
            self._conn = conn
        return self._conn

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
    async with ReadConnection(get_pool(request)) as lazy:
        yield lazy


# scope="function": the connection goes back to the pool before the response is sent.
ReadConnDep = Annotated[ReadConnection, Depends(read_connection, scope="function")]

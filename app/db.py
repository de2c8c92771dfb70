"""The async psycopg 3 pool and the request's unit of work.

The request owns the transaction: ``UnitOfWorkDep`` holds a connection inside ``BEGIN``; it commits
when the endpoint returns and rolls back when it raises. Services and repositories never commit.
What a write did (``UnitOfWork.publish``) reaches the after-commit listeners (``app.kit.after_commit``)
only once the commit has succeeded: one dependency does both, so no endpoint can order them wrongly.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, Request
from psycopg import AsyncConnection
from psycopg.rows import DictRow, dict_row
from psycopg_pool import AsyncConnectionPool

from app.kit.after_commit import AfterCommit
from config.settings import DatabaseSettings

Conn = AsyncConnection[DictRow]


# Every connection plans each statement for its values: PostgreSQL prunes hash partitions for
# `cell = ANY($1)` only with the value in hand; a cached generic plan scans all 64 partitions.
BASE_SESSION = {"plan_cache_mode": "force_custom_plan"}

# The API pool's connections, for queries over a partitioned table that run in milliseconds but are
# costed over every partition they may touch: no JIT (their estimates pass `jit_above_cost`; compiling
# takes far longer than the query) and no parallel workers (starting them takes longer than the query).
API_SESSION = {"jit": "off", "max_parallel_workers_per_gather": "0"}


def session_options(statement_timeout_ms: int, application_name: str, overrides: Mapping[str, str]) -> str:
    """The libpq ``options`` string: the base session settings, then ``overrides`` (which win)."""
    values = {"statement_timeout": str(statement_timeout_ms), "application_name": application_name}
    values.update(BASE_SESSION)
    values.update(overrides)
    return " ".join(f"-c {name}={value}" for name, value in values.items())


def make_pool(
    settings: DatabaseSettings,
    *,
    application_name: str = "happenings",
    session: Mapping[str, str] | None = None,
    autocommit: bool = False,
) -> AsyncConnectionPool[Conn]:
    """A pool whose connections carry the statement timeout and the session settings, rows as dicts."""
    options = session_options(settings.statement_timeout_ms, application_name, session or {})
    return AsyncConnectionPool(
        settings.url,
        min_size=settings.pool_min,
        max_size=settings.pool_max,
        kwargs={"row_factory": dict_row, "options": options, "autocommit": autocommit},
        connection_class=AsyncConnection[DictRow],
        open=False,
        timeout=10,
    )


def get_pool(request: Request) -> AsyncConnectionPool[Conn]:
    pool: AsyncConnectionPool[Conn] = request.app.state.pool
    return pool


class UnitOfWork:
    """A request's transaction and the domain events its writes published."""

    __slots__ = ("conn", "events")

    def __init__(self, conn: Conn) -> None:
        self.conn = conn
        self.events: list[object] = []

    def publish(self, event: object) -> None:
        """Announce ``event`` to the after-commit listeners once (and only if) the transaction commits."""
        self.events.append(event)


def get_after_commit(request: Request) -> AfterCommit:
    after_commit: AfterCommit = request.app.state.after_commit
    return after_commit


async def unit_of_work(request: Request) -> AsyncIterator[UnitOfWork]:
    """One pooled connection in one transaction for the whole request; events dispatched after commit."""
    async with open_unit_of_work(request) as work:
        yield work  # an exception here (endpoint failed) rolls back and skips the rest


@asynccontextmanager
async def open_unit_of_work(request: Request) -> AsyncIterator[UnitOfWork]:
    """The same unit of work, opened by an endpoint where the dependency would open it too early.

    For endpoints that must do something slow before they write (a password hash takes tens of
    milliseconds): holding a pooled connection meanwhile would let a burst of them empty the pool.
    Commits when the block ends, then dispatches the events; an exception rolls back.
    """
    async with get_pool(request).connection() as conn:
        work = UnitOfWork(conn)
        async with conn.transaction():
            yield work
    await get_after_commit(request).dispatch(work.events)


# scope="function": commit (and the listeners) before the response leaves, so a failed commit is never
# reported as success and the writer reads its own write.
UnitOfWorkDep = Annotated[UnitOfWork, Depends(unit_of_work, scope="function")]

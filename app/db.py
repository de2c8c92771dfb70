"""The async psycopg 3 pool and the request's unit of work.

The request owns the transaction: ``UnitOfWorkDep`` holds a connection inside ``BEGIN``; it commits
when the endpoint returns and rolls back when it raises. Services and repositories never commit.
What a write did (``UnitOfWork.publish``) reaches the after-commit listeners (``app.kit.after_commit``)
only once the commit has succeeded: one dependency does both, so no endpoint can order them wrongly.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Annotated
from weakref import WeakKeyDictionary

import psycopg
from fastapi import Depends, Request
from psycopg import AsyncConnection
from psycopg.rows import DictRow, dict_row
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from app.kit.after_commit import AfterCommit
from app.kit.database_breaker import DatabaseBreaker, connection_lost
from config.settings import DatabaseSettings

Conn = AsyncConnection[DictRow]


# Every connection plans each statement for its values: PostgreSQL prunes hash partitions for
# `cell = ANY($1)` only with the value in hand; a cached generic plan scans all 64 partitions.
BASE_SESSION = {"plan_cache_mode": "force_custom_plan"}

# The API pool's connections, for queries over a partitioned table that run in milliseconds but are
# costed over every partition they may touch: no JIT (their estimates pass `jit_above_cost`; compiling
# takes far longer than the query) and no parallel workers (starting them takes longer than the query).
API_SESSION = {"jit": "off", "max_parallel_workers_per_gather": "0"}


# A pool slot whose connection could not be re-made stops retrying after this (see make_pool).
RECONNECT_GIVE_UP_S = 3.0


def session_options(statement_timeout_ms: int, application_name: str, overrides: Mapping[str, str]) -> str:
    """The libpq ``options`` string: the base session settings, then ``overrides`` (which win)."""
    values = {"statement_timeout": str(statement_timeout_ms), "application_name": application_name}
    values.update(BASE_SESSION)
    values.update(overrides)
    return " ".join(f"-c {name}={value}" for name, value in values.items())


def lock_timeout_sql(timeout_ms: int) -> str:
    """The statement that bounds every lock wait of the rest of the transaction (``LockNotAvailable``).

    ``SET LOCAL``, not ``set_config(..., true)``: on Citus a row of a shard is locked on its worker,
    which a ``SET LOCAL`` reaches (``app.distribution`` sets ``citus.propagate_set_commands``) and
    ``set_config`` does not.
    """
    return f"SET LOCAL lock_timeout = {int(timeout_ms)}"


async def set_lock_timeout(conn: Conn, timeout_ms: int) -> None:
    """Bound every lock wait of the rest of the transaction (see ``lock_timeout_sql``)."""
    await conn.execute(lock_timeout_sql(timeout_ms))


def make_pool(
    settings: DatabaseSettings,
    *,
    application_name: str = "happenings",
    session: Mapping[str, str] | None = None,
    autocommit: bool = False,
    name: str | None = None,
    configure: Callable[[Conn], Awaitable[None]] | None = None,
) -> AsyncConnectionPool[Conn]:
    """A pool whose connections carry the statement timeout and the session settings, rows as dicts.

    A request waits at most ``acquire_timeout_s`` for a connection (then ``PoolTimeout``: a 503), and
    a new connection at most ``connect_timeout_s`` to open. A connection that cannot be re-made is
    given up after ``RECONNECT_GIVE_UP_S`` instead of retrying with a backoff that doubles for
    minutes: after an outage the pool would otherwise sit in a long backoff while the server is
    back; given up, the pool grows again as soon as it is asked (``DatabaseBreaker`` asks).
    """
    options = session_options(settings.statement_timeout_ms, application_name, session or {})
    return AsyncConnectionPool(
        settings.url,
        min_size=settings.pool_min,
        max_size=settings.pool_max,
        kwargs={
            "row_factory": dict_row,
            "options": options,
            "autocommit": autocommit,
            "connect_timeout": settings.connect_timeout_s,
        },
        connection_class=AsyncConnection[DictRow],
        open=False,
        name=name or application_name,  # in the pool's own log lines
        timeout=settings.acquire_timeout_s,
        reconnect_timeout=RECONNECT_GIVE_UP_S,
        configure=configure,
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
        _WORK_OF[conn] = self

    def publish(self, event: object) -> None:
        """Announce ``event`` to the after-commit listeners once (and only if) the transaction commits."""
        self.events.append(event)


# The unit of work whose transaction a connection runs (the latest one made on it).
_WORK_OF: WeakKeyDictionary[Conn, UnitOfWork] = WeakKeyDictionary()


def publish_on(conn: Conn, event: object) -> None:
    """Publish ``event`` on the unit of work running on ``conn`` (see ``UnitOfWork.publish``).

    For facts found deep inside a write, where the service that finds them is called from many
    others that each return something else: a counter that crossed a threshold (an event became
    sold out) is announced by the statement that moved it, whichever request, webhook or job ran
    it. A connection used outside a unit of work (a maintenance script, a test calling a service
    on its own connection) has no after-commit listeners: the event is dropped.
    """
    work = _WORK_OF.get(conn)
    if work is not None and work.conn is conn:
        work.publish(event)


def get_after_commit(request: Request) -> AfterCommit:
    after_commit: AfterCommit = request.app.state.after_commit
    return after_commit


def get_breaker(request: Request) -> DatabaseBreaker:
    breaker: DatabaseBreaker = request.app.state.database_breaker
    return breaker


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

    A lost database is a 503 (``DatabaseUnavailable``), never a retry: the connection may have died
    after the server committed, so the outcome is unknown and the write is not reported as done.
    """
    breaker = get_breaker(request)
    breaker.ensure_up()
    try:
        async with get_pool(request).connection() as conn:
            work = UnitOfWork(conn)
            async with conn.transaction():
                yield work
    except PoolTimeout as exc:
        breaker.notice(exc)
        raise breaker.unavailable("no database connection was free in time; nothing was written") from None
    except psycopg.OperationalError as exc:
        if not connection_lost(exc):
            raise
        breaker.notice(exc)
        raise breaker.unavailable("the database connection was lost before the write was confirmed") from None
    await get_after_commit(request).dispatch(work.events)


# scope="function": commit (and the listeners) before the response leaves, so a failed commit is never
# reported as success and the writer reads its own write.
UnitOfWorkDep = Annotated[UnitOfWork, Depends(unit_of_work, scope="function")]

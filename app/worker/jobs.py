"""What a periodic job is, and what it is given when it runs."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis

from app.db import Conn, UnitOfWork
from app.kit.after_commit import AfterCommit
from app.kit.clock import Clock
from config.settings import Settings


@dataclass(slots=True)
class WorkerContext:
    """The worker's shared objects, made once when it starts (as the API's lifespan makes its own)."""

    settings: Settings
    pool: AsyncConnectionPool[Conn]
    redis: Redis
    clock: Clock
    after_commit: AfterCommit
    # Objects a domain builds once for its jobs (a Stripe client, a push sender), by domain name.
    services: dict[str, object] = field(default_factory=dict)

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[UnitOfWork]:
        """One transaction, as a request's: its published events reach the listeners after commit."""
        async with self.pool.connection() as conn:
            work = UnitOfWork(conn)
            async with conn.transaction():
                yield work
        await self.after_commit.dispatch(work.events)


JobFunction = Callable[[WorkerContext], Awaitable[int]]


@dataclass(frozen=True, slots=True)
class Periodic:
    """A job run every ``every``; it returns how many things it settled (for logs and metrics).

    ``exclusive`` jobs run in one worker at a time (a PostgreSQL advisory lock named after the job):
    for sweeps that scan, where two workers would only do the same work twice. Jobs that claim rows
    with ``SKIP LOCKED`` run in every worker at once and share the rows.
    A job that settled a full batch runs again at once instead of waiting for its period.
    """

    name: str
    every: timedelta
    run: JobFunction
    exclusive: bool = False
    batch: int | None = None
